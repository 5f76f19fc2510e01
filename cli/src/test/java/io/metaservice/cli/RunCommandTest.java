package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code metaservice run} with its local guest agent, each run a real pair of processes. */
@Timeout(300)
class RunCommandTest {

    @TempDir
    Path workdir;

    @AfterEach
    void noAgentLeftBehind() throws InterruptedException {
        assertThat(Leftovers.awaitGone(Leftovers.AGENT_MARKER, TestLimits.PROCESS_EXIT))
                .as("guest agents still alive after the command exited")
                .isEmpty();
    }

    @Test
    void reportLandsInArtifactsFolder() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "run", "--artifact", "report.txt", "--",
                "sh", "-c", "uname -s; ls -l /; uname -a > report.txt");

        cli.assertExitCode(0);
        String systemName = new String(new ProcessBuilder("uname", "-s").start()
                .getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(cli.stdout().text()).startsWith(systemName + "\n");
        assertThat(cli.stdout().text()).contains(" bin");
        Path report = workdir.resolve("artifacts/report.txt");
        assertThat(report).isRegularFile();
        assertThat(Files.readString(report)).startsWith(systemName + " ");
        assertThat(cli.stderr().text()).contains("task succeeded").contains("1 file, ");
    }

    @Test
    void taskExitStatusThreeFailsRun() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "run", "--", "sh", "-c", "echo failing; exit 3");

        cli.assertExitCode(1);
        assertThat(cli.stdout().text()).isEqualTo("failing\n");
        assertThat(cli.stderr().text()).contains("metaservice: task failed in ");
    }

    @Test
    void stdoutCarriesOnlyTaskOutput() throws Exception {
        String text = "plain ASCII line\ntabs\tand unicode: \u00e9\u00df\u4e2d\u6587 \ud83d\ude80\nend";
        Path input = workdir.resolve("input.txt");
        Files.writeString(input, text, StandardCharsets.UTF_8);

        CliProcess cli = CliProcess.run(workdir, "run", "--", "cat", input.toString());

        cli.assertExitCode(0);
        assertThat(cli.stdout().bytes()).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void taskLogAppearsWhileTaskRuns() throws Exception {
        try (ServerSocket release = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                CliProcess cli = CliProcess.start(workdir, "run", "--", "bash", "-c",
                        "echo first; exec 3<>/dev/tcp/127.0.0.1/" + release.getLocalPort()
                                + "; read -r line <&3; echo \"$line\"")) {
            release.setSoTimeout((int) TestLimits.OUTPUT.toMillis());
            try (Socket task = release.accept()) {
                cli.stdout().awaitEndsWith("first\n".getBytes(StandardCharsets.UTF_8), TestLimits.OUTPUT);
                task.getOutputStream().write("second\n".getBytes(StandardCharsets.UTF_8));
            }
            cli.awaitExit(TestLimits.COMMAND);

            cli.assertExitCode(0);
            assertThat(cli.stdout().text()).isEqualTo("first\nsecond\n");
        }
    }

    @Test
    void missingArtifactIsNamedAndFailsRun() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "run", "--artifact", "present.txt",
                "--artifact", "absent-file.txt", "--", "sh", "-c", "echo here > present.txt");

        cli.assertExitCode(1);
        assertThat(cli.stderr().text())
                .contains("artifact absent-file.txt not found")
                .contains("task succeeded")
                .contains("missing: absent-file.txt");
        assertThat(workdir.resolve("artifacts/present.txt")).hasContent("here");
    }

    @Test
    void folderArtifactKeepsRelativeLayout() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "run", "--artifact", "out", "--", "sh", "-c",
                "mkdir -p out/a/b out/empty; echo top > out/top.txt; echo deep > out/a/b/deep.txt;"
                        + " ln -s /etc/hostname out/link");

        cli.assertExitCode(0);
        Path out = workdir.resolve("artifacts/out");
        assertThat(out.resolve("top.txt")).hasContent("top");
        assertThat(out.resolve("a/b/deep.txt")).hasContent("deep");
        assertThat(out.resolve("link")).as("symbolic links are not listed").doesNotExist();
        assertThat(regularFiles(out)).hasSize(2);
    }

    @Test
    void absoluteArtifactsLandUnderLastName() throws Exception {
        Path outside = Files.createDirectory(workdir.resolve("outside"));
        Path folder = outside.resolve("results");

        CliProcess cli = CliProcess.run(workdir, "run",
                "--artifact", outside.resolve("single.txt").toString(),
                "--artifact", folder.toString(),
                "--artifacts-dir", "collected",
                "--env", "OUTSIDE=" + outside,
                "--", "sh", "-c", "echo one > \"$OUTSIDE/single.txt\";"
                        + " mkdir -p \"$OUTSIDE/results/x\"; echo two > \"$OUTSIDE/results/x/y.txt\"");

        cli.assertExitCode(0);
        Path collected = workdir.resolve("collected");
        assertThat(collected.resolve("single.txt")).hasContent("one");
        assertThat(collected.resolve("results/x/y.txt")).hasContent("two");
        assertThat(regularFiles(collected)).hasSize(2);
    }

    @Test
    void envOptionReachesTask() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "run", "--env", "GREETING=hello = world",
                "--env", "EMPTY=", "--", "sh", "-c", "printf '%s|%s|%s' \"$GREETING\" \"${EMPTY-unset}\" \"$PATH\"");

        cli.assertExitCode(0);
        assertThat(cli.stdout().text()).isEqualTo("hello = world||" + System.getenv("PATH"));
    }

    @Test
    void relativeClassPathStillStartsAgent() throws Exception {
        String relative = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> workdir.relativize(Path.of(entry).toAbsolutePath()).toString())
                .collect(Collectors.joining(File.pathSeparator));

        try (CliProcess cli = CliProcess.startWithClassPath(relative, workdir, "run", "--", "echo", "ok")) {
            cli.awaitExit(TestLimits.COMMAND);

            cli.assertExitCode(0);
            assertThat(cli.stdout().text()).isEqualTo("ok\n");
        }
    }

    @Test
    void agentDeathBeforeResultFailsRun() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "run", "--", "sh", "-c", "kill -KILL $PPID");

        cli.assertExitCode(1);
        assertThat(cli.stderr().text())
                .contains("the guest agent exited with status 137 before it reported a result")
                .contains("metaservice: run failed in ");
    }

    @Test
    void timeoutStopsRunAndTask() throws Exception {
        String marker = uniqueSleep();

        CliProcess cli = CliProcess.run(workdir, "run", "--timeout", "2", "--", "sleep", marker);

        cli.assertExitCode(1);
        assertThat(cli.stderr().text()).contains("the run timed out after 2 seconds");
        assertThat(Leftovers.awaitGone("sleep " + marker, TestLimits.PROCESS_EXIT))
                .as("task processes still alive").isEmpty();
    }

    @Test
    void interruptStopsAgentAndTask() throws Exception {
        String marker = uniqueSleep();
        try (ServerSocket ready = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                CliProcess cli = CliProcess.start(workdir, "run", "--", "bash", "-c",
                        "echo ready > /dev/tcp/127.0.0.1/" + ready.getLocalPort() + "; exec sleep " + marker)) {
            ready.setSoTimeout((int) TestLimits.OUTPUT.toMillis());
            try (Socket task = ready.accept()) {
                assertThat(task.getInputStream().readAllBytes()).isEqualTo("ready\n".getBytes());
            }
            List<ProcessHandle> started = cli.descendantsSeen();
            assertThat(started).as("guest agent and task processes").isNotEmpty();

            // SIGINT is what Ctrl-C sends; the shell's built-in kill needs no extra package.
            new ProcessBuilder("sh", "-c", "kill -INT " + cli.pid()).start().waitFor();
            int exitCode = cli.awaitExit(TestLimits.COMMAND);

            assertThat(exitCode).as("exit code after SIGINT").isNotZero();
            assertThat(cli.stderr().text()).contains("metaservice: stopping: the run was interrupted");
            for (ProcessHandle process : started) {
                assertThat(process.onExit()).as("process %d", process.pid())
                        .succeedsWithin(TestLimits.PROCESS_EXIT);
            }
            assertThat(Leftovers.awaitGone("sleep " + marker, TestLimits.PROCESS_EXIT)).isEmpty();
        }
    }

    @Test
    void fullStandardOutputFailsRun() throws Exception {
        try (CliProcess cli = CliProcess.startWithOutputFile(Path.of("/dev/full"), workdir,
                "run", "--", "sh", "-c", "echo hello")) {
            cli.awaitExit(TestLimits.COMMAND);

            cli.assertExitCode(1);
            assertThat(cli.stderr().text())
                    .contains("metaservice: the task log could not be written to standard output: ")
                    .contains("task succeeded")
                    .contains("not all of them written")
                    .doesNotContain("0 bytes of output dropped");
        }
    }

    @Test
    void closedStdoutPipeFailsRun() throws Exception {
        try (CliProcess cli = CliProcess.startPipedInto("head -c 10", workdir,
                "run", "--", "sh", "-c", "yes | head -c 3000000")) {
            cli.awaitExit(TestLimits.COMMAND);

            cli.assertExitCode(1);
            assertThat(cli.stdout().text()).isEqualTo("y\ny\ny\ny\ny\n");
            assertThat(cli.stderr().text())
                    .contains("metaservice: the task log could not be written to standard output: ")
                    .contains("task succeeded");
        }
    }

    @Test
    void launcherFetchesNonAsciiNameUnderCLocale() throws Exception {
        Path launcher = launcherWithTestClassPath();

        try (CliProcess cli = CliProcess.startCommand(List.of("bash", launcher.toString(), "run",
                        "--artifact", "dir", "--", "sh", "-c",
                        "mkdir -p dir; echo b > \"dir/$(printf 'caf\\303\\251')\""),
                Map.of("LANG", "C", "LC_ALL", "C"), workdir)) {
            cli.awaitExit(TestLimits.COMMAND);

            cli.assertExitCode(0);
        }
        assertThat(listNames(workdir.resolve("artifacts/dir")))
                .isEqualTo("caf\u00e9\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void launcherPassesNonAsciiArgumentUnderCLocale() throws Exception {
        assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
                "this JVM must encode the argument of the launcher as UTF-8");
        Path launcher = launcherWithTestClassPath();

        try (CliProcess cli = CliProcess.startCommand(List.of("bash", launcher.toString(), "run",
                        "--", "printf", "%s", "caf\u00e9"),
                Map.of("LANG", "C", "LC_ALL", "C"), workdir)) {
            cli.awaitExit(TestLimits.COMMAND);

            cli.assertExitCode(0);
            assertThat(cli.stdout().bytes()).isEqualTo("caf\u00e9".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void cLocaleJvmNamesLocaleFix() throws Exception {
        // Started without the launcher, the command's own JVM cannot encode the name, but its
        // agent still lists and sends the file.
        try (CliProcess cli = CliProcess.startWithEnvironment(Map.of("LANG", "C", "LC_ALL", "C"),
                workdir, "run", "--artifact", "dir", "--", "sh", "-c",
                "mkdir -p dir; echo b > \"dir/$(printf 'caf\\303\\251')\"")) {
            cli.awaitExit(TestLimits.COMMAND);

            cli.assertExitCode(1);
            assertThat(cli.stderr().text())
                    .doesNotContain("was not found when fetched")
                    .contains("which cannot encode that name; run under a UTF-8 locale, such as with"
                            + " LC_ALL=C.UTF-8")
                    .contains("failed: dir");
        }
    }

    /**
     * Copies the launcher script into a new folder, next to a jar whose manifest starts
     * {@link Main} with this JVM's class path, where the launcher expects the built jar.
     */
    private Path launcherWithTestClassPath() throws Exception {
        Path root = Files.createDirectories(workdir.resolve("launcher"));
        Path launcher = Files.copy(Path.of("..", "metaservice"), root.resolve("metaservice"));
        Path jar = Files.createDirectories(root.resolve("cli/target")).resolve("metaservice.jar");
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry).toAbsolutePath().toUri().toString())
                .collect(Collectors.joining(" "));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.flush();
        }
        return launcher;
    }

    /** Returns the output of {@code ls}: the raw bytes of the names, whatever this JVM's locale. */
    private static byte[] listNames(Path folder) throws Exception {
        Process ls = new ProcessBuilder("ls", folder.toString()).start();
        return ls.getInputStream().readAllBytes();
    }

    /** Returns a sleep duration that no other process on the machine is likely to use. */
    private static String uniqueSleep() {
        return "3" + ThreadLocalRandom.current().nextInt(100, 999) + "."
                + ThreadLocalRandom.current().nextInt(100_000, 999_999);
    }

    private static List<Path> regularFiles(Path folder) throws Exception {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }
}
