package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code metaservice run --shell}: with piped input, and typed into a real terminal that tmux
 * provides, where the test sends keys and reads the screen.
 */
@Timeout(300)
class RunShellTest {

    /** The task runs until the shell creates the file {@code stop} in the working folder. */
    private static final String WAITING_TASK =
            "echo task-started; while [ ! -e stop ]; do sleep 0.1; done; echo task-done";
    private static final long PANE_POLL_MILLIS = 200;

    @TempDir
    Path workdir;

    private Path tmuxSocket;

    @AfterEach
    void stopTmux() throws Exception {
        if (tmuxSocket != null && Files.exists(tmuxSocket)) {
            tmux("kill-server");
        }
        assertThat(Leftovers.awaitGone(Leftovers.AGENT_MARKER, TestLimits.PROCESS_EXIT))
                .as("guest agents still alive after the command exited")
                .isEmpty();
    }

    @Test
    void pipedInputRunsWithoutTerminal() throws Exception {
        Path input = Files.writeString(workdir.resolve("input.txt"),
                "test -t 0 || echo no-terminal; echo piped-out; echo piped-err >&2; touch stop\n");
        List<String> command = new ArrayList<>(List.of(CliProcess.javaCommand(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--shell", "--", "sh", "-c", WAITING_TASK));
        Process process = new ProcessBuilder(command)
                .directory(workdir.toFile())
                .redirectInput(input.toFile())
                .redirectOutput(workdir.resolve("stdout.txt").toFile())
                .redirectError(workdir.resolve("stderr.txt").toFile())
                .start();
        try {
            assertThat(process.waitFor(TestLimits.COMMAND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        String stderr = Files.readString(workdir.resolve("stderr.txt"));
        assertThat(process.exitValue()).as("exit code; standard error:%n%s", stderr).isZero();
        assertThat(Files.readString(workdir.resolve("stdout.txt")))
                .isEqualTo("no-terminal\npiped-out\n");
        assertThat(stderr).contains("piped-err\n");
        assertThat(stderr).contains("task-started\n", "task-done\n");
        assertThat(stderr).contains("metaservice: shell ended: success");
    }

    @Test
    void typedCommandShowsOutputInTmux() throws Exception {
        assumeTrue(isInstalled("tmux"), "tmux is not installed");
        tmuxSocket = workdir.resolve("tmux.sock");
        Path script = Files.writeString(workdir.resolve("run.sh"), String.join(" ",
                quote(CliProcess.javaCommand()), "-cp", quote(System.getProperty("java.class.path")),
                Main.class.getName(), "run", "--shell", "--", "sh", "-c", quote(WAITING_TASK))
                + "\necho \"run-exit:$?\"\nsleep 600\n");

        tmux("new-session", "-d", "-s", "run", "-x", "120", "-y", "30", "sh " + script);
        awaitPane("# |\\$ ");
        tmux("send-keys", "-t", "run", "echo answer-$((6*7)); stty size", "Enter");
        String answered = awaitPane("answer-42");
        tmux("resize-window", "-t", "run", "-x", "100", "-y", "37");
        tmux("send-keys", "-t", "run", "stty size; touch stop; exit", "Enter");
        String finished = awaitPane("run-exit:");

        assertThat(answered).contains("30 120");
        assertThat(finished).contains("37 100");
        assertThat(finished).contains("metaservice: shell ended: success");
        assertThat(finished).contains("run-exit:0");
    }

    /** Polls the pane until a line matches {@code regex}; returns the whole pane and history. */
    private String awaitPane(String regex) throws Exception {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(regex);
        long deadline = System.nanoTime() + TestLimits.OUTPUT.toNanos();
        String pane = "";
        while (System.nanoTime() < deadline) {
            pane = tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "run");
            if (pattern.matcher(pane).find()) {
                return pane;
            }
            // tmux offers no event for new screen content, so the test polls the pane.
            TimeUnit.MILLISECONDS.sleep(PANE_POLL_MILLIS);
        }
        throw new AssertionError("the pane shows no match of " + regex + " within "
                + TestLimits.OUTPUT + ":\n" + pane);
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux", "-S", tmuxSocket.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(TestLimits.PROCESS_EXIT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("tmux " + String.join(" ", args) + " did not finish");
        }
        return output;
    }

    private static boolean isInstalled(String program) throws Exception {
        return new ProcessBuilder("sh", "-c", "command -v " + program).start().waitFor() == 0;
    }

    /** Quotes a word for sh. */
    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
