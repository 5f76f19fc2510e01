package io.metaservice.vm;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the host programs that images and virtual machines need, and names the Debian package
 * of each one that is missing.
 */
public final class HostTools {

    /** The emulator, from the Debian package {@value #QEMU_PACKAGE}. */
    public static final String QEMU = "qemu-system-x86_64";
    public static final String QEMU_PACKAGE = "qemu-system-x86";
    /** Connects each forwarded guest connection to the service's Unix socket. */
    public static final String SOCAT = "socat";
    public static final String SOCAT_PACKAGE = "socat";
    /** The statically linked busybox that becomes the guest's init and tools. */
    public static final Path BUSYBOX = Path.of("/bin/busybox");
    public static final String BUSYBOX_PACKAGE = "busybox-static";
    /** Lists the shared libraries that the guest's Java runtime needs. */
    public static final String LDD = "ldd";
    public static final String LDD_PACKAGE = "libc-bin";
    /** Fetches the kernel package when the image build is given none. */
    public static final String APT_GET = "apt-get";
    public static final String APT_PACKAGE = "apt";
    /** Puts the emulator in a network namespace of its own. */
    public static final String UNSHARE = "unshare";
    /** Ties the emulator's life to this JVM's. */
    public static final String SETPRIV = "setpriv";
    public static final String UTIL_LINUX_PACKAGE = "util-linux";

    private HostTools() {
    }

    /** Returns the first executable {@code name} on {@code PATH}, if there is one. */
    public static Optional<Path> find(String name) {
        String path = System.getenv("PATH");
        if (path == null || path.isEmpty()) {
            path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        }
        for (String folder : path.split(File.pathSeparator)) {
            if (folder.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(folder, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns the executable {@code name} on {@code PATH}.
     *
     * @throws MissingToolException naming {@code debianPackage} when it is not there
     */
    public static Path require(String name, String debianPackage) throws MissingToolException {
        return find(name).orElseThrow(() -> new MissingToolException(name, debianPackage,
                "no executable named " + name + " on PATH"));
    }
}
