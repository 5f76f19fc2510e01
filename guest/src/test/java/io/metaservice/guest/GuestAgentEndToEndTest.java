package io.metaservice.guest;

import static io.metaservice.guest.TestTimeouts.TASK_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.security.auth.module.UnixSystem;
import io.metaservice.host.Artifact;
import io.metaservice.host.ResourceNotFoundException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the agent against a real host service on a loopback port, with real processes. */
class GuestAgentEndToEndTest {

    @TempDir
    Path temp;

    private HostHarness host;
    private GuestAgent agent;
    private CompletableFuture<Integer> status;
    private final List<Long> taskPids = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (host != null) {
            host.close();
        }
        for (long pid : taskPids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void logCarriesEveryByteValue() throws Exception {
        byte[] content = new byte[512];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) i;
        }
        Path file = Files.write(temp.resolve("bytes.bin"), content);

        run(List.of("cat", file.toString()));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logBytes()).isEqualTo(content);
    }

    @Test
    void logKeepsUtf8SplitAcrossWrites() throws Exception {
        run(List.of("sh", "-c", "printf '\\342\\202'; sleep 0.3; printf '\\254\\n'"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logBytes()).isEqualTo("\u20ac\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void logKeepsOrderOfLargeOutput() throws Exception {
        byte[] content = new byte[3 * 1024 * 1024];
        new Random(5).nextBytes(content);
        Path file = Files.write(temp.resolve("large.bin"), content);

        run(List.of("cat", file.toString()));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logBytes()).isEqualTo(content);
    }

    @Test
    void exitZeroReportsSuccess() throws Exception {
        run(List.of("true"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(status.get(TASK_SECONDS, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void nonZeroExitReportsFailure() throws Exception {
        run(List.of("sh", "-c", "echo failing; exit 3"));

        assertThat(host.awaitResult()).isFalse();
        assertThat(status.get(TASK_SECONDS, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(host.logText()).isEqualTo("failing\n");
    }

    @Test
    void stderrGoesToLog() throws Exception {
        run(List.of("sh", "-c", "echo out; echo err >&2"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logText()).isEqualTo("out\nerr\n");
    }

    @Test
    void taskRunsOnTerminal() throws Exception {
        run(List.of("sh", "-c", "test -t 0 && test -t 1 && test -t 2 && stty size"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logText()).isEqualTo("24 80\n");
    }

    @Test
    void missingUserFailsTask() throws Exception {
        GuestConfig config = config("user: no-such-user-7f3a\n");

        run(List.of("true"), Map.of(), config);

        assertThat(host.awaitResult()).isFalse();
        assertThat(status.get(TASK_SECONDS, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(host.logText()).contains("user 'no-such-user-7f3a' does not exist");
    }

    @Test
    void taskRunsAsConfiguredUser() throws Exception {
        assumeTrue(new UnixSystem().getUid() == 0, "switching users needs root");
        run(List.of("sh", "-c", "id -un"), Map.of(), config("user: nobody\n"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logText()).isEqualTo("nobody\n");
    }

    @Test
    void missingProgramFailsTask() throws Exception {
        run(List.of("no-such-program-7f3a", "arg"));

        assertThat(host.awaitResult()).isFalse();
        assertThat(host.logText()).contains("program not found: 'no-such-program-7f3a'");
    }

    @Test
    void emptyCommandFailsTask() throws Exception {
        run(List.of());

        assertThat(host.awaitResult()).isFalse();
        assertThat(host.logText()).contains("the task has no command");
    }

    @Test
    void entrypointComesBeforeCommand() throws Exception {
        run(List.of("from-task"), Map.of(), config("entrypoint: [echo, from-entrypoint]\n"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logText()).isEqualTo("from-entrypoint from-task\n");
    }

    @Test
    void killProcessEndsTaskAndChildren() throws Exception {
        run(List.of("sh", "-c", "sleep 300 & echo $!; sleep 300 & echo $!; echo ready; wait"));
        host.awaitLog("ready\n");
        List<Long> children = pidsBefore("ready");
        taskPids.addAll(children);

        host.service().killProcess();

        assertThat(host.awaitResult()).isFalse();
        assertThat(status.get(TASK_SECONDS, TimeUnit.SECONDS)).isEqualTo(1);
        for (long child : children) {
            assertThat(isLiving(child)).as("child %d", child).isFalse();
        }
    }

    @Test
    void closeKillsRunningTask() throws Exception {
        run(List.of("sh", "-c", "sleep 300 & echo $!; echo ready; wait"));
        host.awaitLog("ready\n");
        long child = pidsBefore("ready").get(0);
        taskPids.add(child);

        agent.close();

        assertThat(status.get(TASK_SECONDS, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(isLiving(child)).isFalse();
    }

    @Test
    void backgroundChildDoesNotHoldLog() throws Exception {
        // The ignored SIGHUP keeps the child alive when the session leader exits.
        run(List.of("sh", "-c", "trap '' HUP; sleep 300 & echo $!; echo done"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logText()).endsWith("done\n");
        long child = pidsBefore("done").get(0);
        taskPids.add(child);
        assertThat(isLiving(child)).isTrue();

        agent.close();

        assertThat(isLiving(child)).isFalse();
    }

    @Test
    void getArtifactReturnsFile() throws Exception {
        byte[] content = new byte[2 * 1024 * 1024 + 17];
        new Random(9).nextBytes(content);
        Path file = Files.write(temp.resolve("artifact.bin"), content);
        run(List.of("true"));
        assertThat(host.awaitResult()).isTrue();

        try (Artifact artifact = host.service().getArtifact(file.toString())) {
            assertThat(artifact.size()).isEqualTo(content.length);
            assertThat(Files.readAllBytes(artifact.path())).isEqualTo(content);
        }
    }

    @Test
    void getArtifactResolvesRelativePath() throws Exception {
        Path work = Files.createDirectories(temp.resolve("work"));
        Files.writeString(work.resolve("result.txt"), "relative");
        run(List.of("true"), Map.of(), config("workdir: " + work + "\n"));
        assertThat(host.awaitResult()).isTrue();

        try (Artifact artifact = host.service().getArtifact("result.txt")) {
            assertThat(Files.readString(artifact.path())).isEqualTo("relative");
        }
    }

    @Test
    void getArtifactOfMissingFileIsNotFound() throws Exception {
        run(List.of("true"));
        assertThat(host.awaitResult()).isTrue();

        assertThatThrownBy(() -> host.service().getArtifact(temp.resolve("absent").toString()))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void getArtifactOfFolderIsNotFound() throws Exception {
        run(List.of("true"));
        assertThat(host.awaitResult()).isTrue();

        assertThatThrownBy(() -> host.service().getArtifact(temp.toString()))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void listFolderSkipsLinksAndFolders() throws Exception {
        Path folder = Files.createDirectories(temp.resolve("out"));
        Path top = Files.writeString(folder.resolve("top.txt"), "1");
        Path nested = Files.createDirectories(folder.resolve("sub/deeper"));
        Path deep = Files.writeString(nested.resolve("deep.txt"), "2");
        Files.createSymbolicLink(folder.resolve("file-link"), top);
        Files.createSymbolicLink(folder.resolve("folder-link"), nested);
        run(List.of("true"));
        assertThat(host.awaitResult()).isTrue();

        List<String> files = host.service().listFolder(folder.toString());

        assertThat(files).containsExactlyInAnyOrder(top.toString(), deep.toString());
    }

    @Test
    void listFolderOfMissingFolderIsNotFound() throws Exception {
        run(List.of("true"));
        assertThat(host.awaitResult()).isTrue();

        assertThatThrownBy(() -> host.service().listFolder(temp.resolve("absent").toString()))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void environmentIsLayered() throws Exception {
        GuestConfig config = config("""
                env:
                  CONFIGURED: config
                  OVERRIDDEN: config
                """);
        Map<String, String> taskEnv = Map.of("OVERRIDDEN", "task", "TASK_ONLY", "task");

        run(List.of("env"), taskEnv, config);

        assertThat(host.awaitResult()).isTrue();
        List<String> lines = host.logText().lines().toList();
        assertThat(lines).contains("CONFIGURED=config", "OVERRIDDEN=task", "TASK_ONLY=task");
        assertThat(lines).contains("PATH=" + System.getenv("PATH"));
        assertThat(lines).doesNotContain("OVERRIDDEN=config");
    }

    @Test
    void taskRunsInWorkdir() throws Exception {
        Path work = Files.createDirectories(temp.resolve("work folder"));

        run(List.of("sh", "-c", "pwd -P"), Map.of(), config("workdir: '" + work + "'\n"));

        assertThat(host.awaitResult()).isTrue();
        assertThat(host.logText()).isEqualTo(work.toRealPath() + "\n");
    }

    @Test
    void missingWorkdirFailsTask() throws Exception {
        run(List.of("true"), Map.of(), config("workdir: " + temp.resolve("absent") + "\n"));

        assertThat(host.awaitResult()).isFalse();
        assertThat(host.logText()).contains("is not a folder");
    }

    @Test
    void postLogAppendsStream() throws Exception {
        host = HostHarness.start(List.of("true"), Map.of(), temp);
        byte[] content = "second process\n".getBytes(StandardCharsets.UTF_8);

        GuestAgent.postLog(host.baseUri(), new ByteArrayInputStream(content));

        assertThat(host.logBytes()).isEqualTo(content);
    }

    private void run(List<String> command) throws Exception {
        run(command, Map.of(), GuestConfig.defaults());
    }

    private void run(List<String> command, Map<String, String> env, GuestConfig config)
            throws Exception {
        host = HostHarness.start(command, env, temp);
        agent = new GuestAgent(host.baseUri(), config);
        status = new CompletableFuture<>();
        Thread runner = new Thread(() -> status.complete(agent.runTask()), "test-run-task");
        runner.setDaemon(true);
        runner.start();
    }

    private GuestConfig config(String yaml) throws IOException {
        Path file = Files.writeString(temp.resolve("guest.yml"), yaml);
        return GuestConfig.load(file);
    }

    /** Returns the process ids printed one a line before the line {@code marker}. */
    private List<Long> pidsBefore(String marker) {
        List<Long> pids = new ArrayList<>();
        for (String line : host.logText().lines().toList()) {
            if (line.equals(marker)) {
                break;
            }
            pids.add(Long.parseLong(line.strip()));
        }
        return pids;
    }

    /** Returns whether the process exists and is not a zombie. */
    private static boolean isLiving(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text;
        try {
            text = Files.readString(stat, StandardCharsets.ISO_8859_1);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        char state = text.charAt(text.lastIndexOf(')') + 2);
        return state != 'Z' && state != 'X';
    }
}
