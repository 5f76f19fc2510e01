package io.metaservice.guest.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.guest.GuestConfig;
import io.metaservice.guest.TestTimeouts;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's end of a shell against a hand-written host that sends exactly the frames a test
 * chooses: malformed, fragmented, oversized or none at all.
 */
class GuestShellProtocolTest {

    private static final GuestShellTimeouts SHORT = new GuestShellTimeouts(
            Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(200),
            Duration.ofSeconds(5));

    @TempDir
    Path temp;

    private FakeShellHost host;
    private ShellLauncher launcher;

    @AfterEach
    void stop() throws Exception {
        if (launcher != null) {
            launcher.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void malformedMessagesAreIgnored() throws Exception {
        start(true, List.of("cat"));

        host.sendBytes(9);                          // unknown type
        host.sendBytes(2, 0, 1, 2);                 // unknown type with a body
        host.sendBytes(1, 1, 0, 0);                 // ack too short
        host.sendBytes(3, 0, 80);                   // size too short
        host.sendBytes(4, 0);                       // abort too long
        host.sendBytes(0, 7, 'x');                  // data for an unknown stream
        host.sendBytes();                           // empty message
        host.sendText("abort");
        host.sendText("");
        // One data message in two frames: the guest joins them.
        host.sendFrame(false, 2, new byte[] {0, 0, 'o'});
        host.sendFrame(true, 0, new byte[] {'k', '\n'});
        host.sendBinary(ShellCodec.endOfStream(ShellStream.STDIN));
        Transcript transcript = readUntilExit();

        assertThat(transcript.stdout()).isEqualTo("ok\n");
        assertThat(transcript.exitSuccess()).isTrue();
        assertThat(host.closeStatus.get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS))
                .isEqualTo(1000);
    }

    @Test
    void oversizedMessageClosesAndKillsProcess() throws Exception {
        start(true, List.of("sh", "-c", "echo $$; exec sleep 1000"));
        long pid = Long.parseLong(readLine(ShellStream.STDOUT));

        host.sendBinary(ByteBuffer.allocate(ShellProtocol.MAX_MESSAGE_SIZE + 1));

        assertThat(host.closeStatus.get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS))
                .isEqualTo(ShellSocket.MESSAGE_TOO_BIG);
        assertProcessGone(pid);
        assertNoShellThreads();
    }

    @Test
    void messageAtMaximumSizeIsAccepted() throws Exception {
        start(true, List.of("wc", "-c"));
        ByteBuffer message = ByteBuffer.allocate(ShellProtocol.MAX_MESSAGE_SIZE);
        message.put((byte) 0).put((byte) 0).position(ShellProtocol.MAX_MESSAGE_SIZE).flip();

        host.sendBinary(message);
        host.sendBinary(ShellCodec.endOfStream(ShellStream.STDIN));
        Transcript transcript = readUntilExit();

        assertThat(transcript.stdout().strip())
                .isEqualTo(Integer.toString(ShellProtocol.MAX_MESSAGE_SIZE - 2));
        assertThat(transcript.exitSuccess()).isTrue();
    }

    @Test
    void silentHostIsGivenUp() throws Exception {
        start(false, List.of("sh", "-c", "echo $$; exec sleep 1000"));
        long pid = Long.parseLong(readLine(ShellStream.STDOUT));
        long start = System.nanoTime();

        Integer status = host.closeStatus.get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS);

        // Silence time-out of 1 s, checked every 200 ms.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(500L, 5_000L);
        assertThat(status).isEqualTo(ShellSocket.GOING_AWAY);
        assertProcessGone(pid);
        assertNoShellThreads();
    }

    @Test
    void stdinBeyondWindowClosesConnection() throws Exception {
        start(true, List.of("sleep", "1000"));
        byte[] block = new byte[ShellProtocol.BLOCK_SIZE];

        // sleep never reads, so the guest cannot acknowledge; the fifth block overruns the window.
        for (int i = 0; i < 5; i++) {
            host.sendBinary(ShellCodec.data(ShellStream.STDIN, ByteBuffer.wrap(block)));
        }

        assertThat(host.closeStatus.get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS))
                .isEqualTo(ShellSocket.POLICY_VIOLATION);
        assertNoShellThreads();
    }

    @Test
    void abortKillsProcessAndReportsFailure() throws Exception {
        start(true, List.of("sh", "-c", "echo $$; sleep 1000 & wait"));
        long pid = Long.parseLong(readLine(ShellStream.STDOUT));

        host.sendBinary(ShellCodec.abort());
        Transcript transcript = readUntilExit();

        assertThat(transcript.exitSuccess()).isFalse();
        assertThat(transcript.stdoutEnded()).isTrue();
        assertThat(transcript.stderrEnded()).isTrue();
        assertProcessGone(pid);
    }

    @Test
    void sizeWithoutTerminalIsIgnored() throws Exception {
        start(true, List.of("sh", "-c", "read line; echo \"$line\""));

        host.sendBinary(ShellCodec.size(100, 37));
        host.sendBinary(ShellCodec.data(ShellStream.STDIN,
                ByteBuffer.wrap("after size\n".getBytes(StandardCharsets.US_ASCII))));
        Transcript transcript = readUntilExit();

        assertThat(transcript.stdout()).isEqualTo("after size\n");
        assertThat(transcript.exitSuccess()).isTrue();
    }

    @Test
    void missingProgramReportsStartFailure() throws Exception {
        start(true, List.of("no-such-program-5e1c"));

        Transcript transcript = readUntilExit();

        assertThat(transcript.stderr()).contains("program not found: 'no-such-program-5e1c'");
        assertThat(transcript.exitSuccess()).isFalse();
    }

    private void start(boolean answerPings, List<String> command) throws Exception {
        host = new FakeShellHost(answerPings);
        GuestConfig config = GuestConfig.defaults();
        launcher = new ShellLauncher(host.baseUri(), config, temp, Map::of, SHORT);
        launcher.start(new Action("fake-action-id", ActionType.EXEC_SHELL, "", command, false));
        host.awaitConnected();
    }

    /** Reads data messages of one stream up to the first newline, acknowledging nothing. */
    private String readLine(ShellStream stream) throws InterruptedException {
        StringBuilder line = new StringBuilder();
        while (line.indexOf("\n") < 0) {
            ShellMessage message = host.next();
            if (message.type() == ShellMessage.Type.DATA && message.stream() == stream) {
                line.append(StandardCharsets.UTF_8.decode(message.payload()));
            }
        }
        return line.substring(0, line.indexOf("\n"));
    }

    /** Reads messages up to the exit message, acknowledging output as it arrives. */
    private Transcript readUntilExit() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        boolean stdoutEnded = false;
        boolean stderrEnded = false;
        while (true) {
            ShellMessage message = host.next();
            switch (message.type()) {
                case DATA -> {
                    ByteArrayOutputStream target = message.stream() == ShellStream.STDOUT ? stdout : stderr;
                    if (message.isEndOfStream()) {
                        if (message.stream() == ShellStream.STDOUT) {
                            stdoutEnded = true;
                        } else {
                            stderrEnded = true;
                        }
                    } else {
                        byte[] bytes = new byte[message.payload().remaining()];
                        message.payload().get(bytes);
                        target.write(bytes);
                        acknowledge(message.stream(), bytes.length);
                    }
                }
                case EXIT -> {
                    return new Transcript(stdout.toString(StandardCharsets.UTF_8),
                            stderr.toString(StandardCharsets.UTF_8), stdoutEnded, stderrEnded,
                            message.success());
                }
                default -> {
                    // acks of stdin
                }
            }
        }
    }

    private void acknowledge(ShellStream stream, int count) {
        try {
            host.sendBinary(ShellCodec.ack(stream, count));
        } catch (IOException ignored) {
            // The guest may have closed already, after its last message; the ack is moot then.
        }
    }

    private static void assertProcessGone(long pid) throws Exception {
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        if (handle != null) {
            handle.onExit().get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("process %d", pid).isFalse();
    }

    /** Waits for the shell's own threads to end; the shared websocket threads may stay. */
    private void assertNoShellThreads() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestTimeouts.PROCESS_SECONDS);
        List<Thread> left = shellThreads();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            left.get(0).join(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
            left = shellThreads();
        }
        assertThat(left).as("threads of ended shells").isEmpty();
        assertThat(launcher.runningShells()).isZero();
    }

    static List<Thread> shellThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("metaservice-guest-shell-"))
                .filter(thread -> !thread.getName().startsWith("metaservice-guest-shell-io-"))
                .toList();
    }

    private record Transcript(String stdout, String stderr, boolean stdoutEnded,
            boolean stderrEnded, boolean exitSuccess) {
    }
}
