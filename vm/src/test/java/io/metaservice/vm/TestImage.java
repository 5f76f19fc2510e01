package io.metaservice.vm;

import static org.junit.jupiter.api.Assumptions.abort;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest image that the integration tests boot, built once per test JVM from the kernel
 * package named by {@value #KERNEL_PACKAGE_VARIABLE}. Tests that need it are skipped, with the
 * reason, when QEMU, socat, busybox or the kernel package is missing.
 */
final class TestImage {

    /** Environment variable naming a Debian {@code linux-image-*.deb}; {@code .ci/run} sets it. */
    static final String KERNEL_PACKAGE_VARIABLE = "METASERVICE_KERNEL_PACKAGE";

    /** Class path entries that only the tests need, or that the agent never loads. */
    private static final List<String> NOT_FOR_THE_AGENT = List.of("test-classes", "/org/junit/",
            "/org/assertj/", "/org/opentest4j/", "/org/apiguardian/", "/net/bytebuddy/", "/ch/qos/logback/",
            "/org/eclipse/jetty/", "/org/apache/commons/", "/commons-io/", "/org/tukaani/",
            "metaservice-host", "host/target/classes", "surefire");

    private static GuestImage image;
    private static Throwable failure;

    private TestImage() {
    }

    /** Returns the image, building it on first use; aborts the test when a tool is missing. */
    static synchronized GuestImage get() throws Exception {
        requireTools();
        if (failure != null) {
            throw new IllegalStateException("building the test image failed before", failure);
        }
        if (image == null) {
            try {
                image = ImageBuilder.forOutput(Path.of("target", "vm-test-image"))
                        .kernelPackage(kernelPackage())
                        .agentClasspath(agentClasspath())
                        .build();
            } catch (Exception | Error e) {
                failure = e;
                throw e;
            }
        }
        return image;
    }

    /** Aborts the calling test unless QEMU, socat, busybox and the kernel package are here. */
    static void requireTools() {
        if (HostTools.find(HostTools.QEMU).isEmpty()) {
            abort(HostTools.QEMU + " is not installed (Debian package " + HostTools.QEMU_PACKAGE + ")");
        }
        if (HostTools.find(HostTools.SOCAT).isEmpty()) {
            abort(HostTools.SOCAT + " is not installed (Debian package " + HostTools.SOCAT_PACKAGE + ")");
        }
        if (!Files.isExecutable(HostTools.BUSYBOX)) {
            abort(HostTools.BUSYBOX + " is missing (Debian package " + HostTools.BUSYBOX_PACKAGE + ")");
        }
        kernelPackage();
    }

    static Path kernelPackage() {
        String value = System.getenv(KERNEL_PACKAGE_VARIABLE);
        if (value == null || value.isEmpty()) {
            abort(KERNEL_PACKAGE_VARIABLE + " is not set; set it to a Debian kernel package, such as the"
                    + " file that 'apt-get download linux-image-6.1.0-NN-amd64' writes");
        }
        Path deb = Path.of(value);
        if (!Files.isRegularFile(deb)) {
            abort(KERNEL_PACKAGE_VARIABLE + " names " + deb + ", which does not exist");
        }
        return deb;
    }

    /** Returns this JVM's class path without the test-only entries: the guest module and its dependencies. */
    static List<Path> agentClasspath() {
        List<Path> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String normalized = entry.replace('\\', '/');
            if (entry.isEmpty() || NOT_FOR_THE_AGENT.stream().anyMatch(normalized::contains)) {
                continue;
            }
            entries.add(Path.of(entry));
        }
        return entries;
    }
}
