package io.metaservice.vm.internal;

import io.metaservice.vm.MissingToolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the guest's Java runtime with {@code jlink}: only the modules the agent needs, without
 * debug attributes, headers and man pages, and with the default class-data sharing archive that
 * jlink's {@code --generate-cds-archive} plugin (JDK 17 and later) dumps.
 */
public final class JavaRuntimeLinker {

    private static final Logger LOG = LoggerFactory.getLogger(JavaRuntimeLinker.class);

    /**
     * Modules of the guest runtime. The agent needs {@code java.net.http}; {@code java.logging}
     * backs {@link System.Logger} and JNA; {@code java.xml} lets logback read its configuration
     * when the agent runs from the {@code metaservice} jar; {@code jdk.unsupported} gives JNA
     * and Jackson {@code sun.misc.Unsafe}.
     */
    public static final List<String> MODULES =
            List.of("java.base", "java.logging", "java.net.http", "java.xml", "jdk.unsupported");

    private static final Duration JLINK_TIMEOUT = Duration.ofMinutes(5);

    private JavaRuntimeLinker() {
    }

    /**
     * Links a runtime of {@code modules} from the JDK at {@code jdkHome} into {@code output},
     * which must not exist yet.
     *
     * @throws MissingToolException when the JDK has no {@code jlink} or no {@code jmods} folder
     */
    public static void link(Path jdkHome, List<String> modules, Path output)
            throws IOException, InterruptedException, MissingToolException {
        Path jlink = jdkHome.resolve("bin/jlink");
        if (!Files.isExecutable(jlink)) {
            throw new MissingToolException("jlink", "openjdk-17-jdk-headless",
                    "the JDK at " + jdkHome + " has no bin/jlink; pass a full JDK with --jdk");
        }
        if (!Files.isDirectory(jdkHome.resolve("jmods"))) {
            throw new MissingToolException("jmods", "openjdk-17-jdk-headless",
                    "the JDK at " + jdkHome + " has no jmods folder, which jlink needs");
        }
        List<String> command = new ArrayList<>(List.of(jlink.toString(),
                "--add-modules", String.join(",", modules),
                "--strip-debug", "--no-header-files", "--no-man-pages",
                // The initramfs is compressed as a whole; compressed modules would only slow start-up.
                "--compress=0",
                "--generate-cds-archive",
                "--output", output.toString()));
        Commands.check(command, null, JLINK_TIMEOUT);
        // Heaps here stay far below 32 GiB, so the archive for uncompressed pointers is dead weight.
        Files.deleteIfExists(output.resolve("lib/server/classes_nocoops.jsa"));
        LOG.info("linked Java runtime {} with modules {}", version(output), modules);
    }

    /** Returns {@code JAVA_VERSION} from the runtime's {@code release} file. */
    public static String version(Path runtime) throws IOException {
        Properties release = new Properties();
        try (var reader = Files.newBufferedReader(runtime.resolve("release"), StandardCharsets.UTF_8)) {
            release.load(reader);
        }
        String version = release.getProperty("JAVA_VERSION", "unknown");
        return version.replace("\"", "");
    }
}
