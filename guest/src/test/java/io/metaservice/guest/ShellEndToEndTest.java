package io.metaservice.guest;

import static io.metaservice.guest.TestTimeouts.PROCESS_SECONDS;
import static io.metaservice.guest.TestTimeouts.TASK_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interactive shells end to end: the host's {@link HostShell} and the agent's shells, through a
 * real host service on a loopback port, with real processes.
 */
class ShellEndToEndTest {

    @TempDir
    Path temp;

    private HostHarness host;
    private GuestAgent agent;
    private final ExecutorService io = Executors.newCachedThreadPool();
    private final List<Long> leftPids = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (host != null) {
            host.close();
        }
        io.shutdownNow();
        for (long pid : leftPids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void defaultShellEchoesLine() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(null, false);

        shell.stdin().write("echo hello from the shell\n".getBytes(StandardCharsets.UTF_8));
        shell.stdin().close();

        assertThat(readAll(shell.stdout())).isEqualTo("hello from the shell\n");
        assertThat(readAll(shell.stderr())).isEmpty();
        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
    }

    @Test
    void catCarriesLargeStreamsByteForByte() throws Exception {
        byte[] input = new byte[40 * 1024 * 1024];
        new Random(40).nextBytes(input);
        byte[] error = new byte[4 * 1024 * 1024];
        new Random(4).nextBytes(error);
        Path errorFile = Files.write(temp.resolve("stderr.bin"), error);
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());

        HostShell shell = host.service().execShell(
                List.of("sh", "-c", "cat \"$1\" >&2; exec cat", "sh", errorFile.toString()), false);
        Future<byte[]> stdout = io.submit(() -> shell.stdout().readAllBytes());
        Future<byte[]> stderr = io.submit(() -> shell.stderr().readAllBytes());
        shell.stdin().write(input);
        shell.stdin().close();

        assertThat(stderr.get(TASK_SECONDS, TimeUnit.SECONDS)).isEqualTo(error);
        assertThat(stdout.get(TASK_SECONDS, TimeUnit.SECONDS)).isEqualTo(input);
        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
    }

    @Test
    void terminalShellExitZeroSucceeds() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(List.of("sh", "-c", "exit 0"), true);

        readAll(shell.stdout());

        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
        assertThat(shell.stderr().readAllBytes()).isEmpty();
    }

    @Test
    void terminalShellExitThreeFails() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(List.of("sh", "-c", "exit 3"), true);

        readAll(shell.stdout());

        assertThat(result(shell)).isEqualTo(ShellResult.FAILURE);
    }

    @Test
    void setSizeReachesTerminal() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(
                List.of("sh", "-c", "read line; stty size"), true);

        shell.setSize(100, 37);
        shell.stdin().write('\n');
        shell.stdin().flush();

        assertThat(readAll(shell.stdout()).split("\r\n")).contains("37 100");
        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
    }

    @Test
    void abortEndsSleepAndItsChildren() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(
                List.of("sh", "-c", "sleep 1000 & echo $$ $!; sleep 1000"), false);
        String[] pids = readLine(shell.stdout()).split(" ");
        for (String pid : pids) {
            leftPids.add(Long.parseLong(pid));
        }

        shell.abort();

        assertThat(result(shell)).isEqualTo(ShellResult.ABORTED);
        for (long pid : leftPids) {
            assertGone(pid);
        }
    }

    @Test
    void terminalAbortEndsSleepAndItsChildren() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(
                List.of("sh", "-c", "sleep 1000 & echo $$ $!; sleep 1000"), true);
        String[] pids = readLine(shell.stdout()).strip().split(" ");
        for (String pid : pids) {
            leftPids.add(Long.parseLong(pid));
        }

        shell.abort();

        assertThat(result(shell)).isEqualTo(ShellResult.ABORTED);
        for (long pid : leftPids) {
            assertGone(pid);
        }
    }

    @Test
    void closedStdinEndsCat() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(List.of("cat"), false);

        shell.stdin().write("last words".getBytes(StandardCharsets.UTF_8));
        shell.stdin().close();

        assertThat(readAll(shell.stdout())).isEqualTo("last words");
        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
    }

    @Test
    void backgroundChildDoesNotHoldShell() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        long start = System.nanoTime();
        HostShell shell = host.service().execShell(
                List.of("sh", "-c", "sleep 300 & echo $!; echo hi"), false);

        String output = readAll(shell.stdout());

        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
        List<String> lines = output.lines().toList();
        leftPids.add(Long.parseLong(lines.get(0)));
        assertThat(lines).containsExactly(lines.get(0), "hi");
    }

    @Test
    void terminalBackgroundChildDoesNotHoldShell() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        long start = System.nanoTime();
        HostShell shell = host.service().execShell(
                List.of("sh", "-c", "trap '' HUP; sleep 300 & echo $!; echo hi"), true);

        String output = readAll(shell.stdout());

        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
        List<String> lines = List.of(output.split("\r\n"));
        leftPids.add(Long.parseLong(lines.get(0)));
        assertThat(lines).endsWith("hi");
    }

    @Test
    void terminalStdinEndRunsTypedLine() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(null, true);

        shell.stdin().write("echo x\n".getBytes(StandardCharsets.UTF_8));
        shell.stdin().close();

        // The terminal echoes the typed line, and the prompt may come before or after the output.
        String output = readAll(shell.stdout());
        assertThat(output).contains("echo x");
        assertThat(output.replace("echo x", "")).contains("x\r\n");
        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
    }

    @Test
    void shellSeesTaskEnvironmentAndWorkdir() throws Exception {
        Path work = Files.createDirectories(temp.resolve("work"));
        GuestConfig config = config("""
                workdir: %s
                env:
                  CONFIGURED: config
                  OVERRIDDEN: config
                """.formatted(work));
        startAgent(List.of("sh", "-c", "sleep 30"), Map.of("OVERRIDDEN", "task", "TASK_ONLY", "task"),
                config);
        HostShell shell = host.service().execShell(List.of("sh", "-c",
                "pwd -P; echo \"$CONFIGURED $OVERRIDDEN $TASK_ONLY\"; echo \"$PATH\""), false);

        List<String> lines = readAll(shell.stdout()).lines().toList();

        assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
        assertThat(lines).containsExactly(work.toRealPath().toString(), "config task task",
                System.getenv("PATH"));
    }

    @Test
    void severalShellsRunWhileTaskRuns() throws Exception {
        startAgent(List.of("sh", "-c", "echo task running; sleep 60"), Map.of(),
                GuestConfig.defaults());
        host.awaitLog("task running");
        List<HostShell> shells = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            shells.add(host.service().execShell(List.of("sh", "-c", "read name; echo \"shell $name\""), false));
        }

        for (int i = 0; i < shells.size(); i++) {
            shells.get(i).stdin().write((i + "\n").getBytes(StandardCharsets.UTF_8));
            shells.get(i).stdin().flush();
        }

        for (int i = 0; i < shells.size(); i++) {
            assertThat(readAll(shells.get(i).stdout())).isEqualTo("shell " + i + "\n");
            assertThat(result(shells.get(i))).isEqualTo(ShellResult.SUCCESS);
        }
        assertThat(host.service().result()).isNotDone();
    }

    @Test
    void missingProgramFailsShell() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        HostShell shell = host.service().execShell(List.of("no-such-program-9d2b"), false);

        assertThat(readAll(shell.stderr())).contains("program not found: 'no-such-program-9d2b'");
        assertThat(result(shell)).isEqualTo(ShellResult.FAILURE);
    }

    @Test
    void endedShellsLeaveNoThreads() throws Exception {
        startAgent(List.of("true"), Map.of(), GuestConfig.defaults());
        for (boolean tty : new boolean[] {false, true}) {
            HostShell shell = host.service().execShell(List.of("sh", "-c", "echo done"), tty);
            readAll(shell.stdout());
            assertThat(result(shell)).isEqualTo(ShellResult.SUCCESS);
        }

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PROCESS_SECONDS);
        List<Thread> left = shellThreads();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            left.get(0).join(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
            left = shellThreads();
        }
        assertThat(left).isEmpty();
    }

    private void startAgent(List<String> command, Map<String, String> env, GuestConfig config)
            throws Exception {
        host = HostHarness.start(command, env, temp);
        agent = new GuestAgent(host.baseUri(), config);
        CompletableFuture<Integer> status = new CompletableFuture<>();
        Thread runner = new Thread(() -> status.complete(agent.runTask()), "test-run-task");
        runner.setDaemon(true);
        runner.start();
    }

    private GuestConfig config(String yaml) throws IOException {
        Path file = Files.writeString(temp.resolve("guest.yml"), yaml);
        return GuestConfig.load(file);
    }

    private ShellResult result(HostShell shell) throws Exception {
        return shell.result().get(TASK_SECONDS, TimeUnit.SECONDS);
    }

    private String readAll(InputStream in) throws Exception {
        return new String(io.submit(in::readAllBytes).get(TASK_SECONDS, TimeUnit.SECONDS),
                StandardCharsets.UTF_8);
    }

    private String readLine(InputStream in) throws Exception {
        return io.submit(() -> {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
                line.write(b);
            }
            return line.toString(StandardCharsets.UTF_8);
        }).get(TASK_SECONDS, TimeUnit.SECONDS);
    }

    private static void assertGone(long pid) throws Exception {
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        if (handle != null) {
            handle.onExit().get(PROCESS_SECONDS, TimeUnit.SECONDS);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("process %d", pid).isFalse();
    }

    private static List<Thread> shellThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("metaservice-guest-shell-"))
                .filter(thread -> !thread.getName().startsWith("metaservice-guest-shell-io-"))
                .toList();
    }
}
