package io.metaservice.guest.internal;

import static io.metaservice.guest.TestTimeouts.PROCESS_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProcessTreeKillerTest {

    private final List<Process> started = new ArrayList<>();
    private final List<Long> reported = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (long pid : reported) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        for (Process process : started) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    @Test
    void killsBackgroundChildren() throws Exception {
        Process shell = start("sh", "-c", "sleep 300 & echo $!; sleep 300 & echo $!; wait");
        List<Long> children = readPids(shell, 2);
        assertThat(shell.descendants().map(ProcessHandle::pid)).containsAll(children);

        int signalled = ProcessTreeKiller.killTree(shell.toHandle());

        assertThat(signalled).isGreaterThanOrEqualTo(3);
        assertThat(shell.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)).isTrue();
        for (long child : children) {
            assertThat(ProcessTreeKiller.ProcStat.isLiving(child)).as("child %d", child).isFalse();
        }
        assertThat(shell.descendants().filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void killsOrphanInSession() throws Exception {
        // The subshell exits once it has printed, so the first sleep is re-parented and is
        // found only through its session.
        Process leader = start("setsid", "sh", "-c",
                "orphan=$( (sleep 300 >/dev/null 2>&1 & echo $!) ); echo $orphan; exec sleep 300");
        long orphan = readPids(leader, 1).get(0);
        assertThat(leader.descendants().map(ProcessHandle::pid)).doesNotContain(orphan);
        assertThat(ProcessTreeKiller.ProcStat.read(orphan).orElseThrow().session())
                .isEqualTo(leader.pid());

        ProcessTreeKiller.killTree(leader.toHandle());

        assertThat(leader.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessTreeKiller.ProcStat.isLiving(orphan)).isFalse();
    }

    @Test
    void killsTreeThatKeepsForking() throws Exception {
        Process leader = start("setsid", "sh", "-c",
                "while :; do sleep 300 & echo $!; sleep 0.02; done");
        readPids(leader, 10);

        ProcessTreeKiller.killTree(leader.toHandle());

        assertThat(leader.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(sessionMembers(leader.pid())).isEmpty();
    }

    @Test
    void exitedRootStillKillsItsSession() throws Exception {
        Process leader = start("setsid", "sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!");
        long child = readPids(leader, 1).get(0);
        assertThat(leader.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)).isTrue();

        ProcessTreeKiller.killTree(leader.pid(), java.util.Optional.empty());

        assertThat(ProcessTreeKiller.ProcStat.isLiving(child)).isFalse();
    }

    @Test
    void refusesToKillAgent() {
        assertThatThrownBy(() -> ProcessTreeKiller.killTree(ProcessHandle.current()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reusedIdIsLeftAlone() throws Exception {
        Process shell = start("sleep", "300");
        ProcessHandle stale = shell.toHandle();
        // A handle with another start time represents an earlier process with the same id.
        int signalled = ProcessTreeKiller.killTree(shell.pid(),
                java.util.Optional.of(ProcessHandle.current()));

        assertThat(signalled).isZero();
        assertThat(stale.isAlive()).isTrue();
    }

    private Process start(String... command) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        started.add(process);
        return process;
    }

    /** Reads {@code count} process ids, one a line, from the process's standard output. */
    private List<Long> readPids(Process process, int count) throws Exception {
        BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        CompletableFuture<List<Long>> pids = CompletableFuture.supplyAsync(() -> {
            List<Long> result = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    result.add(Long.parseLong(reader.readLine().strip()));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return result;
        });
        List<Long> result = pids.get(PROCESS_SECONDS, TimeUnit.SECONDS);
        reported.addAll(result);
        return result;
    }

    private static List<Long> sessionMembers(long session) {
        List<Long> members = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(handle -> {
            long pid = handle.pid();
            ProcessTreeKiller.ProcStat.read(pid)
                    .filter(stat -> stat.session() == session)
                    .filter(stat -> ProcessTreeKiller.ProcStat.isLiving(pid))
                    .ifPresent(stat -> members.add(pid));
        });
        return members;
    }
}
