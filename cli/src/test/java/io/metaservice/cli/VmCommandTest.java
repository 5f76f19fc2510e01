package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metaservice.vm.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code metaservice image build} and {@code metaservice run --vm}, each in a real JVM. */
@Timeout(900)
class VmCommandTest {

    /** Environment variable naming a Debian kernel package; {@code .ci/run} sets it. */
    private static final String KERNEL_PACKAGE_VARIABLE = "METASERVICE_KERNEL_PACKAGE";
    /** An image build takes about a minute, and a run about 15 s, on a loaded 2-core host. */
    private static final Duration VM_COMMAND = Duration.ofMinutes(6);

    /** Folder of the image that the VM tests share. */
    @TempDir
    static Path sharedFolder;

    @TempDir
    Path workdir;

    static Stream<Arguments> vmUsageErrorsExitTwo() {
        return Stream.of(
                Arguments.of(List.of("image"), "Missing command"),
                Arguments.of(List.of("run", "--vm", "--no-local-guest", "--", "true"), "cannot be combined"),
                Arguments.of(List.of("run", "--vm", "--listen", "127.0.0.1:0", "--", "true"),
                        "cannot be combined"),
                Arguments.of(List.of("run", "--memory", "2048", "--", "true"), "need --vm"),
                Arguments.of(List.of("run", "--cpus", "2", "--", "true"), "need --vm"),
                Arguments.of(List.of("run", "--vm", "--memory", "100", "--", "true"), "invalid memory 100 MiB"),
                Arguments.of(List.of("run", "--vm", "--cpus", "0", "--", "true"), "invalid CPU count 0"));
    }

    @ParameterizedTest
    @MethodSource
    void vmUsageErrorsExitTwo(List<String> args, String expectedMessage) throws Exception {
        CliProcess cli = CliProcess.run(workdir, args.toArray(String[]::new));

        cli.assertExitCode(2);
        assertThat(cli.stderr().text()).contains(expectedMessage);
    }

    @Test
    void runWithoutImageNamesBuildCommand() throws Exception {
        Path emptyImage = Files.createDirectory(workdir.resolve("no-image"));

        CliProcess cli = CliProcess.run(workdir, "run", "--vm", "--image", emptyImage.toString(), "--", "true");

        cli.assertExitCode(1);
        assertThat(cli.stderr().text()).contains("no guest image in " + emptyImage);
        assertThat(cli.stderr().text()).contains("metaservice image build --out " + emptyImage);
    }

    @Test
    void imageBuildWithoutBusyboxNamesPackage() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "image", "build", "--out", workdir.resolve("image").toString(),
                "--busybox", workdir.resolve("no-busybox").toString(),
                "--kernel-package", workdir.resolve("no-kernel.deb").toString());

        cli.assertExitCode(1);
        assertThat(cli.stderr().text()).contains("install the Debian package 'busybox-static'");
        assertThat(workdir.resolve("image/manifest.json")).doesNotExist();
    }

    @Test
    void runInVmReturnsLogAndArtifact() throws Exception {
        Path image = builtImage();
        Path artifacts = workdir.resolve("artifacts");

        CliProcess run = CliProcess.start(workdir, "run", "--vm", "--image", image.toString(),
                "--artifacts-dir", artifacts.toString(), "--artifact", "out.txt", "--timeout", "300",
                "--", "sh", "-c", "echo \"guest $(uname -r)\"; echo artifact > out.txt");
        try (run) {
            run.awaitExit(VM_COMMAND);

            run.assertExitCode(0);
            assertThat(run.stdout().text()).startsWith("guest ");
            assertThat(run.stdout().text()).doesNotContain("guest " + System.getProperty("os.version"));
            assertThat(artifacts.resolve("out.txt")).hasContent("artifact");
            assertThat(run.stderr().text()).contains("task succeeded");
        }
    }

    @Test
    void interruptPowersOffVm() throws Exception {
        Path image = builtImage();
        CliProcess run = CliProcess.start(workdir, "run", "--vm", "--image", image.toString(), "--", "sleep", "600");
        try (run) {
            Matcher started = run.stderr().awaitMatch(Pattern.compile("started QEMU, process (\\d+)"), VM_COMMAND);
            ProcessHandle qemu = ProcessHandle.of(Long.parseLong(started.group(1))).orElseThrow();
            List<ProcessHandle> qemuChildren = qemu.descendants().toList();

            // SIGINT is what Ctrl-C sends.
            new ProcessBuilder("sh", "-c", "kill -INT " + run.pid()).start().waitFor();
            int exitCode = run.awaitExit(TestLimits.COMMAND);

            assertThat(exitCode).as("exit code after SIGINT").isNotZero();
            assertThat(qemu.isAlive()).as("QEMU alive after SIGINT").isFalse();
            assertThat(qemuChildren.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid))
                    .as("processes started by QEMU, alive after SIGINT").isEmpty();
        }
    }

    /**
     * Returns an image built once for this class with {@code metaservice image build}, or skips
     * the calling test when QEMU, socat, busybox or the kernel package is missing.
     */
    private static synchronized Path builtImage() throws Exception {
        String kernelPackage = System.getenv(KERNEL_PACKAGE_VARIABLE);
        assumeTrue(kernelPackage != null && Files.isRegularFile(Path.of(kernelPackage)),
                KERNEL_PACKAGE_VARIABLE + " does not name a Debian kernel package");
        assumeTrue(HostTools.find(HostTools.QEMU).isPresent(), "qemu-system-x86_64 is not installed");
        assumeTrue(HostTools.find(HostTools.SOCAT).isPresent(), "socat is not installed");
        assumeTrue(Files.isExecutable(HostTools.BUSYBOX), "busybox-static is not installed");
        Path image = sharedFolder.resolve("image");
        if (Files.isRegularFile(image.resolve("manifest.json"))) {
            return image;
        }
        try (CliProcess build = CliProcess.start(sharedFolder, "image", "build", "--out", image.toString(),
                "--kernel-package", kernelPackage)) {
            int status = build.awaitExit(VM_COMMAND);
            assertThat(status).as("image build, stderr:\n%s", build.stderr().text()).isZero();
        }
        return image;
    }
}
