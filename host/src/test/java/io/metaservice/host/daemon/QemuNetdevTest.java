package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code -netdev} values that the daemon hands out, checked by QEMU's own option parser
 * when QEMU is installed. QEMU starts paused, with no machine and no guest, so it sends
 * nothing anywhere. A value it accepts keeps it running until the test stops it.
 */
class QemuNetdevTest {

    private static final String QEMU = "qemu-system-x86_64";

    @TempDir
    Path temp;

    @Test
    void qemuAcceptsNetdevValues() throws Exception {
        Path qemu = findOnPath(QEMU);
        assumeTrue(qemu != null, QEMU + " is not installed");
        String awkwardSocket = temp.resolve("it's a, socket").toString();

        for (Attachment attachment : List.of(
                Attachment.forUnixSocket(awkwardSocket, "169.254.169.254", 80),
                Attachment.forLoopbackPort("127.0.0.1", 41234, "169.254.169.254", 80))) {
            String error = runQemu(qemu, attachment.qemuNetdev());

            assertThat(error).as(attachment.qemuNetdev()).isNull();
        }
    }

    @Test
    void qemuRejectsForwardOutsideNetwork() throws Exception {
        Path qemu = findOnPath(QEMU);
        assumeTrue(qemu != null, QEMU + " is not installed");

        String error = runQemu(qemu, "user,id=net0,restrict=on,guestfwd=tcp:169.254.169.254:80-cmd:true");

        assertThat(error).contains("guest forwarding rule");
    }

    /** Returns QEMU's error output when it exits within two seconds, or null when it keeps running. */
    private String runQemu(Path qemu, String netdev) throws Exception {
        Path errors = temp.resolve("qemu-errors.txt");
        Process process = new ProcessBuilder(qemu.toString(), "-machine", "none", "-nodefaults",
                "-display", "none", "-monitor", "none", "-S", "-netdev", netdev)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(errors.toFile())
                .start();
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                return Files.readString(errors, StandardCharsets.UTF_8);
            }
            return null;
        } finally {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static Path findOnPath(String program) {
        for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(folder, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
