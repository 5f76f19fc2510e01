package io.metaservice.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import io.metaservice.host.shell.ShellTimeouts;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostShellTest {

    @TempDir
    Path temp;
    ServiceFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ServiceFixture(temp, builder -> builder.shellTimeouts(new ShellTimeouts(
                Duration.ofMillis(300), Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(1))));
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    @Test
    void execShellSendsActionAndConnects() throws Exception {
        Future<HostShell> opening = fixture.host(() -> fixture.service.execShell(List.of("bash", "-l"), true));

        Action action = fixture.pollForAction();
        FakeShellGuest guest = FakeShellGuest.connect(fixture.server.baseUri(), action.id());
        HostShell shell = opening.get(20, TimeUnit.SECONDS);

        assertThat(action.type()).isEqualTo(ActionType.EXEC_SHELL);
        assertThat(action.command()).containsExactly("bash", "-l");
        assertThat(action.tty()).isTrue();
        guest.send(ShellCodec.data(ShellStream.STDOUT, ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.UTF_8))));
        guest.send(ShellCodec.endOfStream(ShellStream.STDOUT));
        guest.send(ShellCodec.endOfStream(ShellStream.STDERR));
        String output = new String(shell.stdout().readAllBytes(), StandardCharsets.UTF_8);
        ShellMessage ack = guest.next();
        guest.send(ShellCodec.exit(true));
        guest.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(20, TimeUnit.SECONDS);

        assertThat(output).isEqualTo("hello\n");
        assertThat(shell.stderr().readAllBytes()).isEmpty();
        assertThat(shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.SUCCESS);
        assertThat(ack.type()).isEqualTo(ShellMessage.Type.ACK);
        assertThat(ack.stream()).isEqualTo(ShellStream.STDOUT);
        assertThat(ack.count()).isEqualTo(6);
    }

    @Test
    void nullCommandIsSentAsNull() throws Exception {
        fixture.host(() -> fixture.service.execShell(null, false));

        HttpResponse<String> poll = fixture.send("GET", "/engine/v1/poll");
        while (Json.MAPPER.readTree(poll.body()).get("type").asText().equals("none")) {
            poll = fixture.send("GET", "/engine/v1/poll");
        }

        assertThat(Json.MAPPER.readTree(poll.body()).get("command").isNull()).isTrue();
        assertThat(Json.MAPPER.readTree(poll.body()).get("tty").asBoolean()).isFalse();
    }

    @Test
    void failureExitResolvesFailure() throws Exception {
        Connected connected = connect();

        connected.guest.send(ShellCodec.endOfStream(ShellStream.STDOUT));
        connected.guest.send(ShellCodec.endOfStream(ShellStream.STDERR));
        connected.guest.send(ShellCodec.exit(false));
        connected.guest.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(20, TimeUnit.SECONDS);

        assertThat(connected.shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.FAILURE);
    }

    @Test
    void stdinBlocksWaitForAcks() throws Exception {
        Connected connected = connect();
        byte[] input = new byte[200_000];
        new java.util.Random(1).nextBytes(input);

        Future<Object> writer = fixture.host(() -> {
            connected.shell.stdin().write(input);
            connected.shell.stdin().close();
            return "written";
        });
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        long unacknowledged = 0;
        while (true) {
            ShellMessage message = connected.guest.next();
            assertThat(message.type()).isEqualTo(ShellMessage.Type.DATA);
            assertThat(message.stream()).isEqualTo(ShellStream.STDIN);
            if (message.isEndOfStream()) {
                break;
            }
            int length = message.payload().remaining();
            assertThat(length).isLessThanOrEqualTo(ShellProtocol.BLOCK_SIZE);
            unacknowledged += length;
            assertThat(unacknowledged).isLessThanOrEqualTo(ShellProtocol.WINDOW_SIZE);
            byte[] chunk = new byte[length];
            message.payload().get(chunk);
            seen.write(chunk);
            if (unacknowledged == ShellProtocol.WINDOW_SIZE || seen.size() == input.length) {
                connected.guest.send(ShellCodec.ack(ShellStream.STDIN, unacknowledged));
                unacknowledged = 0;
            }
        }

        assertThat(writer.get(20, TimeUnit.SECONDS)).isEqualTo("written");
        assertThat(seen.toByteArray()).isEqualTo(input);
    }

    @Test
    void unreadOutputStallsGuestWithBoundedBuffer() throws Exception {
        Connected connected = connect();
        byte[] block = new byte[ShellProtocol.BLOCK_SIZE];

        for (int i = 0; i < 4; i++) {
            connected.guest.send(ShellCodec.data(ShellStream.STDOUT, ByteBuffer.wrap(block)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (connected.shell.bufferedOutputBytes() < ShellProtocol.WINDOW_SIZE && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }

        assertThat(connected.shell.bufferedOutputBytes()).isEqualTo(ShellProtocol.WINDOW_SIZE);
        assertThat(connected.guest.received.poll(300, TimeUnit.MILLISECONDS)).as("no ack before a read").isNull();
        InputStream stdout = connected.shell.stdout();
        assertThat(stdout.readNBytes(ShellProtocol.BLOCK_SIZE)).hasSize(ShellProtocol.BLOCK_SIZE);
        long acknowledged = 0;
        while (acknowledged < ShellProtocol.BLOCK_SIZE) {
            ShellMessage ack = connected.guest.next();
            assertThat(ack.type()).isEqualTo(ShellMessage.Type.ACK);
            assertThat(ack.stream()).isEqualTo(ShellStream.STDOUT);
            acknowledged += ack.count();
        }
        assertThat(acknowledged).isEqualTo(ShellProtocol.BLOCK_SIZE);
        assertThat(connected.shell.bufferedOutputBytes()).isEqualTo(ShellProtocol.WINDOW_SIZE - ShellProtocol.BLOCK_SIZE);
    }

    @Test
    void guestOverrunningWindowIsDisconnected() throws Exception {
        Connected connected = connect();
        byte[] block = new byte[ShellProtocol.BLOCK_SIZE];

        for (int i = 0; i < 5; i++) {
            connected.guest.send(ShellCodec.data(ShellStream.STDOUT, ByteBuffer.wrap(block)));
        }

        assertThatThrownBy(() -> connected.shell.result().get(20, TimeUnit.SECONDS))
                .cause().isInstanceOf(HostOperationException.class).hasMessageContaining("window")
                .satisfies(e -> assertThat(((HostOperationException) e).isRetryable()).isFalse());
        assertThat(connected.guest.closed.get(20, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void malformedMessagesAreIgnored() throws Exception {
        Connected connected = connect();

        connected.guest.sendBytes(2, 1, 2, 3);          // unknown type
        connected.guest.sendBytes(9);                   // unknown type, no body
        connected.guest.sendBytes(1, 0, 0, 0);          // ack too short
        connected.guest.sendBytes(5, 0, 0);             // exit too long
        connected.guest.sendBytes(0, 9, 65);            // data for an unknown stream
        connected.guest.send(ByteBuffer.allocate(0));   // empty message
        connected.guest.socket.sendText("exit 0", true).get(20, TimeUnit.SECONDS);
        connected.guest.socket.sendText("", true).get(20, TimeUnit.SECONDS);
        connected.guest.send(ShellCodec.data(ShellStream.STDOUT, ByteBuffer.wrap(new byte[] {'o', 'k'})));
        connected.guest.send(ShellCodec.endOfStream(ShellStream.STDOUT));
        connected.guest.send(ShellCodec.endOfStream(ShellStream.STDERR));
        connected.guest.send(ShellCodec.exit(true));
        connected.guest.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(20, TimeUnit.SECONDS);

        assertThat(new String(connected.shell.stdout().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ok");
        assertThat(connected.shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.SUCCESS);
    }

    @Test
    void oversizedMessageClosesAndFails() throws Exception {
        Connected connected = connect();
        long serverThreadsBefore = namedThreads("metaservice-");

        connected.guest.send(ByteBuffer.allocate(ShellProtocol.MAX_MESSAGE_SIZE + 1));

        assertThat(connected.guest.closed.get(20, TimeUnit.SECONDS)).isEqualTo(1009);
        assertThatThrownBy(() -> connected.shell.result().get(20, TimeUnit.SECONDS))
                .cause().isInstanceOf(HostOperationException.class);
        assertThatThrownBy(() -> connected.shell.stdout().read()).isInstanceOf(java.io.IOException.class);
        // A closed shell keeps no thread of its own; the server's pool may grow by its spare threads only.
        assertThat(namedThreads("metaservice-")).isLessThanOrEqualTo(
                Math.max(serverThreadsBefore, GuestServer.MAX_THREADS + 2L));
    }

    @Test
    void messageAtMaximumSizeIsAccepted() throws Exception {
        Connected connected = connect();
        ByteBuffer message = ByteBuffer.allocate(ShellProtocol.MAX_MESSAGE_SIZE);
        message.put((byte) 0).put((byte) 1).position(ShellProtocol.MAX_MESSAGE_SIZE).flip();

        connected.guest.send(message);
        byte[] read = connected.shell.stdout().readNBytes(ShellProtocol.MAX_MESSAGE_SIZE - 2);

        assertThat(read).hasSize(ShellProtocol.MAX_MESSAGE_SIZE - 2);
        assertThat(connected.shell.result()).isNotDone();
    }

    @Test
    void silentGuestIsDetected() throws Exception {
        Future<HostShell> opening = fixture.host(() -> fixture.service.execShell(null, false));
        Action action = fixture.pollForAction();
        try (RawHttp silent = new RawHttp(fixture.server.baseUri())) {
            silent.write("GET /engine/v1/reply?id=" + action.id() + " HTTP/1.1\r\nHost: x\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
            HostShell shell = opening.get(20, TimeUnit.SECONDS);
            long start = System.nanoTime();

            assertThatThrownBy(() -> shell.result().get(20, TimeUnit.SECONDS))
                    .cause().isInstanceOf(HostOperationException.class).hasMessageContaining("silent");
            // Silence time-out of 2 s, checked every 300 ms.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1_500L);
        }
    }

    @Test
    void abortResolvesAborted() throws Exception {
        Connected connected = connect();

        connected.shell.abort();
        ShellMessage abort = connected.guest.next();
        connected.guest.send(ShellCodec.endOfStream(ShellStream.STDOUT));
        connected.guest.send(ShellCodec.endOfStream(ShellStream.STDERR));
        connected.guest.send(ShellCodec.exit(false));
        connected.guest.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(20, TimeUnit.SECONDS);

        assertThat(abort.type()).isEqualTo(ShellMessage.Type.ABORT);
        assertThat(connected.shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.ABORTED);
    }

    @Test
    void abortIgnoredByGuestStillEnds() throws Exception {
        Connected connected = connect();

        connected.shell.abort();

        assertThat(connected.shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.ABORTED);
        assertThat(connected.guest.closed.get(20, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void setSizeSendsColumnsAndRows() throws Exception {
        Connected connected = connect();

        connected.shell.setSize(100, 37);
        ShellMessage size = connected.guest.next();

        assertThat(size.type()).isEqualTo(ShellMessage.Type.SIZE);
        assertThat(size.columns()).isEqualTo(100);
        assertThat(size.rows()).isEqualTo(37);
    }

    @Test
    void brokenConnectionIsRetryableFailure() throws Exception {
        Connected connected = connect();

        connected.guest.socket.abort();

        assertThatThrownBy(() -> connected.shell.result().get(20, TimeUnit.SECONDS))
                .cause().isInstanceOf(HostOperationException.class)
                .satisfies(e -> assertThat(((HostOperationException) e).isRetryable()).isTrue());
    }

    @Test
    void plainPostReplyGets405AndRetries() throws Exception {
        Future<HostShell> opening = fixture.host(() -> fixture.service.execShell(null, false));

        Action first = fixture.pollForAction();
        HttpResponse<String> post = fixture.reply(first.id(), HttpRequest.BodyPublishers.noBody());
        Action second = fixture.pollForAction();
        HttpResponse<String> get = fixture.send("GET", "/engine/v1/reply?id=" + second.id());
        Action third = fixture.pollForAction();
        FakeShellGuest.connect(fixture.server.baseUri(), third.id());

        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(Json.MAPPER.readTree(post.body()).get("message").asText()).contains("'GET'");
        assertThat(get.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(get.body()).get("code").asText()).isEqualTo("InvalidPayload");
        assertThat(opening.get(20, TimeUnit.SECONDS)).isNotNull();
    }

    private static long namedThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(prefix))
                .count();
    }

    private Connected connect() throws Exception {
        Future<HostShell> opening = fixture.host(() -> fixture.service.execShell(null, false));
        Action action = fixture.pollForAction();
        FakeShellGuest guest = FakeShellGuest.connect(fixture.server.baseUri(), action.id());
        return new Connected(opening.get(20, TimeUnit.SECONDS), guest);
    }

    private record Connected(HostShell shell, FakeShellGuest guest) {
    }
}
