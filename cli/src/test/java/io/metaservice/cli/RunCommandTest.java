package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
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
