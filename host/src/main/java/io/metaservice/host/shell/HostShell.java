package io.metaservice.host.shell;

import io.metaservice.host.HostOperationException;
import io.metaservice.host.internal.Timers;
import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's end of an interactive shell in the guest: a stdin stream to write, stdout and stderr
 * streams to read, terminal resizing, abort, and the outcome.
 *
 * <p>Flow control: stdin writes block while a window of bytes is unacknowledged; stdout and
 * stderr bytes are acknowledged only when the consumer reads them, so a consumer that stops
 * reading stalls the guest instead of growing a buffer here. A guest that sends more than the
 * window ahead of the acks, or a message larger than the maximum, loses its connection.
 *
 * <p>{@link #result()} completes with a {@link ShellResult} when the connection closes after the
 * guest's exit message or after an abort, and exceptionally with a {@link HostOperationException}
 * when the connection broke first.
 *
 * <p>Concurrency: Jetty calls the listener methods one at a time; the streams lock themselves;
 * the flags here are atomics or volatile fields written once.
 */
public final class HostShell implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HostShell.class);

    private final String guestId;
    private final String actionId;
    private final ShellTimeouts timeouts;
    private final InboundStream stdout;
    private final InboundStream stderr;
    private final OutboundStream stdin;
    private final AckSender stdoutAcks = new AckSender(ShellStream.STDOUT);
    private final AckSender stderrAcks = new AckSender(ShellStream.STDERR);
    private final CompletableFuture<ShellResult> result = new CompletableFuture<>();
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final AtomicBoolean aborted = new AtomicBoolean();
    private final AtomicInteger pendingWrites = new AtomicInteger();

    /** Set once in {@link Listener#onWebSocketOpen}; null before. */
    private volatile Session session;
    /** The exit message's flag; null until the guest sends exit. */
    private volatile Boolean exitSuccess;
    /** Set when the host closed the connection for a protocol violation. */
    private volatile String violation;
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile long lastPingNanos = System.nanoTime();
    private volatile long lastWriteProgressNanos = System.nanoTime();
    /** The periodic check; set once when the connection opens. */
    private volatile ScheduledFuture<?> checker;

    public HostShell(String guestId, String actionId, ShellTimeouts timeouts) {
        this.guestId = guestId;
        this.actionId = actionId;
        this.timeouts = timeouts;
        this.stdout = new InboundStream(stdoutAcks::consumed);
        this.stderr = new InboundStream(stderrAcks::consumed);
        this.stdin = new OutboundStream((bytes, offset, length) ->
                send(ShellCodec.data(ShellStream.STDIN, bytes, offset, length)));
    }

    /** Returns the shell's stdin; closing it sends the end of the stream. */
    public OutputStream stdin() {
        return stdin;
    }

    /** Returns the shell's stdout; with a TTY it carries stderr too. */
    public InputStream stdout() {
        return stdout;
    }

    /** Returns the shell's stderr; with a TTY it ends without data. */
    public InputStream stderr() {
        return stderr;
    }

    /** Sends a new terminal size; the guest ignores it when the shell has no TTY. */
    public void setSize(int columns, int rows) throws IOException {
        send(ShellCodec.size(columns, rows));
    }

    /**
     * Asks the guest to kill the shell's process. The shell then resolves as
     * {@link ShellResult#ABORTED}; the host closes the connection itself if the guest has not
     * within the abort grace time.
     */
    public void abort() {
        if (result.isDone() || !aborted.compareAndSet(false, true)) {
            return;
        }
        LOG.info("guest {}: aborting shell {}", guestId, actionId);
        try {
            send(ShellCodec.abort());
        } catch (IOException e) {
            LOG.debug("guest {}: shell {} abort message not sent: {}", guestId, actionId, e.toString());
        }
        Timers.SCHEDULER.schedule(() -> {
            Session current = session;
            if (!result.isDone() && current != null) {
                current.close(StatusCode.NORMAL, "aborted", Callback.NOOP);
                current.disconnect();
            }
        }, timeouts.abortGrace().toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Completes when the websocket is open, so that the streams, {@link #setSize} and
     * {@link #abort()} work; completes exceptionally when the connection ended before.
     */
    public CompletableFuture<Void> opened() {
        return opened;
    }

    /** Returns the outcome, completed when the connection has closed. */
    public CompletableFuture<ShellResult> result() {
        return result;
    }

    /** Waits for the outcome. */
    public ShellResult waitFor() throws HostOperationException, InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HostOperationException failure) {
                throw failure;
            }
            throw new HostOperationException("shell failed: " + e.getCause(), false, e.getCause());
        }
    }

    /** Returns stdout and stderr bytes received but not yet read, for tests of flow control. */
    public long bufferedOutputBytes() {
        return stdout.buffered() + stderr.buffered();
    }

    /** Returns stdin bytes sent and not yet acknowledged. */
    public long stdinInFlight() {
        return stdin.inFlight();
    }

    /** Aborts the shell if it is still running. */
    @Override
    public void close() {
        abort();
    }

    /** Returns the websocket listener that drives this shell. */
    public Session.Listener listener() {
        return new Listener();
    }

    private void send(ByteBuffer message) throws IOException {
        Session current = session;
        if (current == null || !current.isOpen()) {
            throw new IOException("shell " + actionId + " connection is closed");
        }
        pendingWrites.incrementAndGet();
        current.sendBinary(message, Callback.from(() -> {
            pendingWrites.decrementAndGet();
            lastWriteProgressNanos = System.nanoTime();
        }, failure -> {
            pendingWrites.decrementAndGet();
            LOG.debug("guest {}: shell {} write failed: {}", guestId, actionId, failure.toString());
        }));
    }

    private void check() {
        Session current = session;
        if (current == null || result.isDone()) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastHeardNanos > timeouts.silenceTimeout().toNanos()) {
            closeForViolation(StatusCode.SHUTDOWN, "the guest was silent for more than "
                    + timeouts.silenceTimeout().toMillis() + " ms");
            return;
        }
        if (pendingWrites.get() > 0 && now - lastWriteProgressNanos > timeouts.writeTimeout().toNanos()) {
            closeForViolation(StatusCode.SHUTDOWN, "a write made no progress for more than "
                    + timeouts.writeTimeout().toMillis() + " ms");
            return;
        }
        if (now - lastPingNanos >= timeouts.pingInterval().toNanos()) {
            lastPingNanos = now;
            current.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
        }
    }

    private void closeForViolation(int status, String reason) {
        violation = reason;
        LOG.warn("guest {}: closing shell {}: {}", guestId, actionId, reason);
        Session current = session;
        if (current != null) {
            current.close(status, truncate(reason), Callback.NOOP);
            current.disconnect();
        }
        finish("closed by the host: " + reason);
    }

    private void finish(String cause) {
        ScheduledFuture<?> running = checker;
        if (running != null) {
            running.cancel(false);
        }
        Boolean exit = exitSuccess;
        IOException broken = new IOException("shell " + actionId + " ended before its streams: " + cause);
        stdout.fail(broken);
        stderr.fail(broken);
        stdin.fail(new IOException("shell " + actionId + " has ended"));
        // A shell that opened and ended before Jetty reported it open still goes to the caller,
        // with its output and result; one that never opened fails the attempt.
        if (session != null) {
            opened.complete(null);
        } else {
            opened.completeExceptionally(broken);
        }
        if (aborted.get()) {
            result.complete(ShellResult.ABORTED);
        } else if (exit != null && violation == null) {
            result.complete(exit ? ShellResult.SUCCESS : ShellResult.FAILURE);
        } else {
            result.completeExceptionally(new HostOperationException(
                    "shell " + actionId + " connection ended without an exit message: " + cause,
                    violation == null));
        }
        LOG.info("guest {}: shell {} ended: {}", guestId, actionId, cause);
    }

    /** Completes {@link #opened} once Jetty reports the session open, checking every 1 ms. */
    private void completeOpenedWhenReady(Session current, long deadlineNanos) {
        if (current.isOpen()) {
            opened.complete(null);
        } else if (!result.isDone() && System.nanoTime() - deadlineNanos < 0) {
            Timers.SCHEDULER.schedule(() -> completeOpenedWhenReady(current, deadlineNanos),
                    1, TimeUnit.MILLISECONDS);
        }
    }

    private static String truncate(String reason) {
        // A close reason must fit in a control frame: 123 bytes of UTF-8.
        return reason.length() > 100 ? reason.substring(0, 100) : reason;
    }

    /** Sends acks for one output stream, merging the bytes consumed while an ack is in flight. */
    private final class AckSender {
        private final ShellStream stream;
        /** Bytes received from the guest. */
        private long received;
        /** Bytes acknowledged in ack messages already sent or being sent. */
        private long acknowledged;
        private long pending;
        private boolean sending;

        AckSender(ShellStream stream) {
            this.stream = stream;
        }

        /** Records received bytes; returns false when the guest overran the window. */
        synchronized boolean received(long count) {
            received += count;
            return received - acknowledged <= ShellProtocol.WINDOW_SIZE;
        }

        void consumed(long count) {
            long toSend;
            synchronized (this) {
                pending += count;
                if (sending || pending == 0) {
                    return;
                }
                sending = true;
                toSend = pending;
                acknowledged += toSend;
                pending = 0;
            }
            sendAck(toSend);
        }

        private void sendAck(long count) {
            Session current = session;
            if (current == null || !current.isOpen()) {
                return;
            }
            pendingWrites.incrementAndGet();
            current.sendBinary(ShellCodec.ack(stream, count), Callback.from(() -> {
                pendingWrites.decrementAndGet();
                lastWriteProgressNanos = System.nanoTime();
                long next;
                synchronized (this) {
                    if (pending == 0) {
                        sending = false;
                        return;
                    }
                    next = pending;
                    acknowledged += next;
                    pending = 0;
                }
                sendAck(next);
            }, failure -> {
                pendingWrites.decrementAndGet();
                synchronized (this) {
                    sending = false;
                }
            }));
        }
    }

    /** The websocket listener; public because Jetty calls it through method handles. */
    public final class Listener implements Session.Listener.AutoDemanding {

        private Listener() {
        }

        @Override
        public void onWebSocketOpen(Session opened) {
            opened.setMaxBinaryMessageSize(ShellProtocol.MAX_MESSAGE_SIZE);
            opened.setMaxTextMessageSize(ShellProtocol.MAX_MESSAGE_SIZE);
            opened.setMaxFrameSize(ShellProtocol.MAX_MESSAGE_SIZE);
            // Silence is detected by the check below; Jetty's own idle time-out is a backstop.
            opened.setIdleTimeout(timeouts.silenceTimeout().multipliedBy(2));
            session = opened;
            lastHeardNanos = System.nanoTime();
            long period = timeouts.checkPeriod().toNanos();
            checker = Timers.SCHEDULER.scheduleAtFixedRate(HostShell.this::check, period, period,
                    TimeUnit.NANOSECONDS);
            LOG.info("guest {}: shell {} connected from {}", guestId, actionId, opened.getRemoteSocketAddress());
            // Jetty reports the session as open only after this method returns.
            long deadline = System.nanoTime() + ShellProtocol.HANDSHAKE_TIMEOUT.toNanos();
            Timers.SCHEDULER.execute(() -> completeOpenedWhenReady(opened, deadline));
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            lastHeardNanos = System.nanoTime();
            try {
                handle(ShellCodec.decode(payload));
            } finally {
                callback.succeed();
            }
        }

        @Override
        public void onWebSocketText(String message) {
            lastHeardNanos = System.nanoTime();
        }

        @Override
        public void onWebSocketPong(ByteBuffer payload) {
            lastHeardNanos = System.nanoTime();
        }

        @Override
        public void onWebSocketPing(ByteBuffer payload) {
            lastHeardNanos = System.nanoTime();
            Session current = session;
            if (current != null) {
                current.sendPong(payload, Callback.NOOP);
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            finish("connection closed with status " + statusCode + (reason == null ? "" : " " + reason));
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            finish("connection failed: " + cause);
        }

        private void handle(ShellMessage message) {
            if (message == null) {
                return; // unknown type or wrong length: ignored by the protocol
            }
            switch (message.type()) {
                case DATA -> output(message);
                case ACK -> {
                    if (message.stream() == ShellStream.STDIN) {
                        stdin.acknowledge(message.count());
                    }
                }
                case EXIT -> exitSuccess = message.success();
                default -> {
                    // size and abort go from host to guest only
                }
            }
        }

        private void output(ShellMessage message) {
            InboundStream target;
            AckSender acks;
            if (message.stream() == ShellStream.STDOUT) {
                target = stdout;
                acks = stdoutAcks;
            } else if (message.stream() == ShellStream.STDERR) {
                target = stderr;
                acks = stderrAcks;
            } else {
                return;
            }
            if (message.isEndOfStream()) {
                target.end();
                return;
            }
            int length = message.payload().remaining();
            if (!acks.received(length)) {
                closeForViolation(StatusCode.POLICY_VIOLATION, "the guest sent " + message.stream()
                        + " data beyond the flow-control window of " + ShellProtocol.WINDOW_SIZE + " bytes");
                return;
            }
            byte[] copy = new byte[length];
            message.payload().get(copy);
            target.append(copy);
        }
    }
}
