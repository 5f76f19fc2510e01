package io.metaservice.vm.internal;

import io.metaservice.vm.HostTools;
import io.metaservice.vm.MissingToolException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches Debian's current kernel package with {@code apt-get download}, which needs no root
 * and installs nothing. The meta-package {@value #META_PACKAGE} names the versioned package,
 * such as {@code linux-image-6.1.0-57-amd64}, that contains the kernel.
 */
public final class KernelPackageDownloader {

    private static final Logger LOG = LoggerFactory.getLogger(KernelPackageDownloader.class);

    public static final String META_PACKAGE = "linux-image-amd64";

    private static final Pattern DEPENDS = Pattern.compile("(?m)^\\s*Depends: (linux-image-\\S+)$");
    private static final Duration APT_TIMEOUT = Duration.ofMinutes(10);

    private KernelPackageDownloader() {
    }

    /**
     * Downloads the kernel package into {@code folder} and returns the {@code .deb} file.
     *
     * @throws MissingToolException when apt is not installed
     * @throws IOException when apt cannot resolve or download the package
     */
    public static Path download(Path folder) throws IOException, InterruptedException, MissingToolException {
        Path aptGet = HostTools.find(HostTools.APT_GET).orElseThrow(() -> new MissingToolException(
                HostTools.APT_GET, HostTools.APT_PACKAGE, "the kernel package cannot be fetched"
                        + " without it; or pass a downloaded " + META_PACKAGE + " kernel package"));
        Path aptCache = HostTools.require("apt-cache", HostTools.APT_PACKAGE);
        String depends = Commands.check(List.of(aptCache.toString(), "depends", META_PACKAGE), null,
                APT_TIMEOUT);
        Matcher matcher = DEPENDS.matcher(depends);
        if (!matcher.find()) {
            throw new IOException("apt-cache does not know " + META_PACKAGE + "; run 'apt-get update'"
                    + " first, or pass a downloaded kernel package\n" + Commands.tail(depends, 2000));
        }
        String versioned = matcher.group(1);
        LOG.info("downloading {} (the kernel of {})", versioned, META_PACKAGE);
        Commands.check(List.of(aptGet.toString(), "download", "-q", versioned), folder, APT_TIMEOUT);
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().startsWith(versioned + "_")
                            && file.getFileName().toString().endsWith(".deb"))
                    .findFirst()
                    .orElseThrow(() -> new IOException("apt-get download " + versioned
                            + " left no .deb file in " + folder));
        }
    }
}
