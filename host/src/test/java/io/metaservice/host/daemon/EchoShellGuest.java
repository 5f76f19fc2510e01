package io.metaservice.host.daemon;

import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import io.metaservice.protocol.shell.ShellStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The guest's end of a shell, played by a test: it replies to an exec-shell action with a
 * websocket on the reply URL, acknowledges stdin and echoes it on stdout in upper case. When
 * stdin ends it ends stdout and stderr and sends exit with success. Output is small, so it
 * does not track the host's window.
 */
final class EchoShellGuest implements WebSocket.Listener {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final CompletableFuture<ShellMessage> sizes = new CompletableFuture<>();
    final CompletableFuture<Void> aborted = new CompletableFuture<>();
    WebSocket socket;
    private ByteBuffer partial = ByteBuffer.allocate(0);

    /** Connects to the reply URL of {@code actionId} on a guest's loopback port. */
    static EchoShellGuest connect(String host, int port, String actionId) throws Exception {
        EchoShellGuest guest = new EchoShellGuest();
        URI uri = URI.create("ws://" + host + ":" + port + "/engine/v1/reply?id=" + actionId);
        guest.socket = CLIENT.newWebSocketBuilder()
                .buildAsync(uri, guest).get(20, TimeUnit.SECONDS);
        return guest;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        ByteBuffer joined = ByteBuffer.allocate(partial.remaining() + data.remaining());
        joined.put(partial).put(data).flip();
        if (last) {
            handle(webSocket, ShellCodec.decode(joined));
            partial = ByteBuffer.allocate(0);
        } else {
            partial = joined;
        }
        webSocket.request(1);
        return null;
    }

    private void handle(WebSocket webSocket, ShellMessage message) {
        if (message == null) {
            return;
        }
        switch (message.type()) {
            case DATA -> {
                if (message.isEndOfStream()) {
                    send(webSocket, ShellCodec.endOfStream(ShellStream.STDOUT));
                    send(webSocket, ShellCodec.endOfStream(ShellStream.STDERR));
                    send(webSocket, ShellCodec.exit(true));
                    webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
                    return;
                }
                byte[] bytes = new byte[message.payload().remaining()];
                message.payload().get(bytes);
                send(webSocket, ShellCodec.ack(ShellStream.STDIN, bytes.length));
                byte[] upper = new String(bytes, StandardCharsets.UTF_8)
                        .toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
                send(webSocket, ShellCodec.data(ShellStream.STDOUT, ByteBuffer.wrap(upper)));
            }
            case SIZE -> sizes.complete(message);
            case ABORT -> {
                aborted.complete(null);
                send(webSocket, ShellCodec.exit(false));
                webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "aborted");
            }
            default -> {
                // Acks of stdout need no reply here.
            }
        }
    }

    private static void send(WebSocket webSocket, ByteBuffer message) {
        webSocket.sendBinary(message, true).join();
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(-1);
    }
}
