package io.metaservice.guest.shell;

import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import io.metaservice.protocol.shell.ShellProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The guest's websocket for one shell, on the JDK's client.
 *
 * <p>Sending: the JDK's websocket allows one outstanding send of each kind, so every message
 * and ping goes through one chain of futures, in the order {@link #send} was called. Receiving:
 * partial messages are joined up to {@link ShellProtocol#MAX_MESSAGE_SIZE}, and a larger message
 * closes the connection with status 1009. Liveness: {@link #check()}, called periodically by
 * the shell, sends pings and gives up on a silent host or a stalled send.
 *
 * <p>Threads: the JDK calls the listener methods one at a time on its executor; {@link
 * #sendLock} guards the send chain; the other fields are volatile or confined to the listener.
 */
final class ShellSocket implements WebSocket.Listener {

    private static final System.Logger LOG = System.getLogger(ShellSocket.class.getName());

    // The JDK's client sends only the close codes 1000 and 3000 to 4999, so the guest sends
    // 4000 plus the standard code (1001 going away, 1008 policy violation, 1009 too big).
    static final int GOING_AWAY = 4001;
    static final int POLICY_VIOLATION = 4008;
    static final int MESSAGE_TOO_BIG = 4009;
    /** A close reason must fit in a control frame: 123 bytes of UTF-8. */
    private static final int MAX_REASON_CHARS = 100;
    private static final long FAIL_CLOSE_WAIT_MILLIS = 1000;

    /** Receives the messages and the end of the connection. */
    interface Handler {
        /** Called on the websocket's thread, one message at a time, never with null. */
        void onMessage(ShellMessage message);

        /** Called once, when the connection ended or failed, with the reason. */
        void onEnded(String reason);
    }

    private final String actionId;
    private final GuestShellTimeouts timeouts;
    private final Handler handler;
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private final Object sendLock = new Object();

    /** The last send of the chain; guarded by {@link #sendLock}. */
    private CompletableFuture<Void> sendChain = CompletableFuture.completedFuture(null);
    /** Sends queued or in progress; guarded by {@link #sendLock}. */
    private int pendingSends;
    /** When a send last completed, or the first pending one was queued; guarded. */
    private long lastSendProgressNanos = System.nanoTime();
    /** Set once the close message is queued; no send follows it. Guarded by the lock. */
    private boolean outputClosed;

    /** Parts of the message being received; touched only by the listener. */
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile long lastPingNanos = System.nanoTime();
    /** Set by {@link #onOpen}, before any other listener call. */
    private volatile WebSocket socket;
    /** The close sent by {@link #fail}, or null. */
    private volatile CompletableFuture<Void> failClose;

    ShellSocket(String actionId, GuestShellTimeouts timeouts, Handler handler) {
        this.actionId = actionId;
        this.timeouts = timeouts;
        this.handler = handler;
    }

    /**
     * Opens the websocket to {@code uri} within the handshake time-out. The handler may get
     * messages before this method returns.
     *
     * @throws IOException if the handshake fails or times out
     */
    void connect(HttpClient client, URI uri) throws IOException, InterruptedException {
        CompletableFuture<WebSocket> opening = client.newWebSocketBuilder()
                .connectTimeout(timeouts.handshakeTimeout())
                .buildAsync(uri, this);
        try {
            // The client's own time-out covers the connection; this one covers the upgrade too.
            socket = opening.get(timeouts.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            end("the handshake failed");
            throw new IOException("the websocket handshake with " + uri + " failed: "
                    + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            opening.cancel(true);
            end("the handshake timed out");
            throw new IOException("the websocket handshake with " + uri + " did not finish within "
                    + timeouts.handshakeTimeout().toMillis() + " ms", e);
        } catch (InterruptedException e) {
            opening.cancel(true);
            end("interrupted during the handshake");
            throw e;
        }
    }

    /**
     * Queues a binary message after every message queued before. A failed send ends the
     * connection; the returned future then completes exceptionally.
     */
    CompletableFuture<Void> send(ByteBuffer message) {
        return enqueue(webSocket -> webSocket.sendBinary(message, true));
    }

    /** Returns whether the connection has ended, normally or not. */
    boolean hasEnded() {
        return ended.isDone();
    }

    /**
     * Sends a ping when one is due, and fails the connection when the host has been silent
     * or a send has made no progress for too long.
     */
    void check() {
        if (ended.isDone()) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastHeardNanos > timeouts.silenceTimeout().toNanos()) {
            fail(GOING_AWAY, "the host was silent for more than "
                    + timeouts.silenceTimeout().toMillis() + " ms");
            return;
        }
        boolean stalled;
        synchronized (sendLock) {
            stalled = pendingSends > 0
                    && now - lastSendProgressNanos > timeouts.writeTimeout().toNanos();
        }
        if (stalled) {
            fail(GOING_AWAY, "a send made no progress for more than "
                    + timeouts.writeTimeout().toMillis() + " ms");
            return;
        }
        if (now - lastPingNanos >= timeouts.pingInterval().toNanos()) {
            lastPingNanos = now;
            enqueue(webSocket -> webSocket.sendPing(ByteBuffer.allocate(0)));
        }
    }

    /**
     * Sends a normal close after the messages queued so far and waits for the host's close,
     * up to the close time-out. Then drops the connection.
     */
    void closeNormally() throws InterruptedException {
        synchronized (sendLock) {
            enqueue(webSocket -> webSocket.sendClose(WebSocket.NORMAL_CLOSURE, ""));
            outputClosed = true;
        }
        try {
            ended.get(timeouts.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "Shell {0}: close failed: {1}", actionId, e.getCause());
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, "Shell {0}: the host sent no close in reply"
                    + " within {1} ms", actionId, timeouts.closeTimeout().toMillis());
        } finally {
            end("closed by the guest");
            abort();
        }
    }

    /**
     * Ends the connection for a protocol violation or a time-out: sends a close with
     * {@code status} and drops the connection. Does nothing once the connection has ended.
     */
    void fail(int status, String reason) {
        CompletableFuture<Void> closing = new CompletableFuture<>();
        synchronized (sendLock) {
            if (ended.isDone()) {
                return;
            }
            // Set before the handler hears of the end, so that its abort waits for the close.
            failClose = closing;
        }
        end(reason);
        LOG.log(System.Logger.Level.WARNING, "Shell {0}: closing the connection with status"
                + " {1}: {2}", actionId, status, reason);
        WebSocket current = socket;
        if (current == null) {
            closing.complete(null);
            return;
        }
        String shortReason = reason.length() > MAX_REASON_CHARS
                ? reason.substring(0, MAX_REASON_CHARS)
                : reason;
        try {
            current.sendClose(status, shortReason)
                    .orTimeout(FAIL_CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)
                    .whenComplete((webSocket, failure) -> {
                        current.abort();
                        closing.complete(null);
                    });
        } catch (RuntimeException e) {
            current.abort();
            closing.complete(null);
        }
    }

    /**
     * Drops the connection without a close message, unless the close of {@link #fail} is
     * still being sent, which drops the connection itself once it is sent or has timed out.
     */
    void abort() {
        end("dropped by the guest");
        CompletableFuture<?> closing = failClose;
        WebSocket current = socket;
        if (current != null && (closing == null || closing.isDone())) {
            current.abort();
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        lastHeardNanos = System.nanoTime();
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        lastHeardNanos = System.nanoTime();
        if (ended.isDone()) {
            return null;
        }
        if (partial.size() + (long) data.remaining() > ShellProtocol.MAX_MESSAGE_SIZE) {
            partial.reset();
            fail(MESSAGE_TOO_BIG, "the host sent a message larger than the maximum of "
                    + ShellProtocol.MAX_MESSAGE_SIZE + " bytes");
            return null;
        }
        ByteBuffer message;
        if (last && partial.size() == 0) {
            message = data;
        } else {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            partial.write(bytes, 0, bytes.length);
            message = last ? ByteBuffer.wrap(partial.toByteArray()) : null;
        }
        if (message != null) {
            partial.reset();
            deliver(message);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        lastHeardNanos = System.nanoTime();
        if (ended.isDone()) {
            return null;
        }
        // Text messages are ignored, but they count against the maximum message size too.
        byte[] bytes = data.toString().getBytes(StandardCharsets.UTF_8);
        if (partial.size() + (long) bytes.length > ShellProtocol.MAX_MESSAGE_SIZE) {
            partial.reset();
            fail(MESSAGE_TOO_BIG, "the host sent a message larger than the maximum of "
                    + ShellProtocol.MAX_MESSAGE_SIZE + " bytes");
            return null;
        }
        partial.write(bytes, 0, bytes.length);
        if (last) {
            partial.reset();
            LOG.log(System.Logger.Level.DEBUG, "Shell {0}: text message ignored", actionId);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        // The JDK client sends the pong for a ping by itself.
        lastHeardNanos = System.nanoTime();
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        lastHeardNanos = System.nanoTime();
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        end("the host closed the connection with status " + statusCode
                + (reason == null || reason.isEmpty() ? "" : ": " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        end("the connection failed: " + error);
    }

    private void deliver(ByteBuffer message) {
        ShellMessage decoded = ShellCodec.decode(message);
        if (decoded == null) {
            LOG.log(System.Logger.Level.DEBUG, "Shell {0}: ignored a message of {1} bytes"
                    + " with an unknown type or length", actionId, message.remaining());
            return;
        }
        handler.onMessage(decoded);
    }

    /** Marks the connection as ended; returns false if it had ended before. */
    private boolean end(String reason) {
        if (!ended.complete(reason)) {
            return false;
        }
        LOG.log(System.Logger.Level.DEBUG, "Shell {0}: connection ended: {1}", actionId, reason);
        handler.onEnded(reason);
        return true;
    }

    private CompletableFuture<Void> enqueue(
            Function<WebSocket, CompletableFuture<WebSocket>> operation) {
        synchronized (sendLock) {
            if (outputClosed || ended.isDone()) {
                return CompletableFuture.failedFuture(
                        new IOException("the shell's connection is closed"));
            }
            if (pendingSends == 0) {
                lastSendProgressNanos = System.nanoTime();
            }
            pendingSends++;
            CompletableFuture<Void> next = sendChain
                    .exceptionally(earlier -> null)
                    .thenCompose(ignored -> operation.apply(socket))
                    .handle((webSocket, failure) -> {
                        sent(failure);
                        if (failure != null) {
                            throw new CompletionException(failure);
                        }
                        return null;
                    });
            sendChain = next;
            return next;
        }
    }

    private void sent(Throwable failure) {
        synchronized (sendLock) {
            pendingSends--;
            lastSendProgressNanos = System.nanoTime();
        }
        if (failure != null && !ended.isDone()) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause()
                    : failure;
            end("a send failed: " + cause);
            abort();
        }
    }
}
