package io.metaservice.host;

import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The guest's end of a shell, driven by hand from a test with the JDK websocket client: it
 * records every message the host sends and sends whatever the test tells it to.
 */
final class FakeShellGuest implements WebSocket.Listener {

    final BlockingQueue<ShellMessage> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    WebSocket socket;
    private ByteBuffer partial = ByteBuffer.allocate(0);

    static FakeShellGuest connect(URI base, String actionId) throws Exception {
        FakeShellGuest guest = new FakeShellGuest();
        URI uri = URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/engine/v1/reply?id=" + actionId);
        guest.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(uri, guest).get(20, TimeUnit.SECONDS);
        return guest;
    }

    void send(ByteBuffer message) throws Exception {
        socket.sendBinary(message, true).get(20, TimeUnit.SECONDS);
    }

    void sendBytes(int... bytes) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(bytes.length);
        for (int b : bytes) {
            buffer.put((byte) b);
        }
        send(buffer.flip());
    }

    ShellMessage next() throws InterruptedException {
        ShellMessage message = received.poll(20, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("no shell message from the host within 20 s");
        }
        return message;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        ByteBuffer joined = ByteBuffer.allocate(partial.remaining() + data.remaining());
        joined.put(partial).put(data).flip();
        if (last) {
            ShellMessage message = ShellCodec.decode(joined);
            if (message != null) {
                if (message.type() == ShellMessage.Type.DATA) {
                    ByteBuffer copy = ByteBuffer.allocate(message.payload().remaining());
                    copy.put(message.payload()).flip();
                    message = ShellMessage.data(message.stream(), copy);
                }
                received.add(message);
            }
            partial = ByteBuffer.allocate(0);
        } else {
            partial = joined;
        }
        webSocket.request(1);
        return null;
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
