package io.metaservice.host.daemon.control;

import io.metaservice.host.daemon.GuestLimits;
import io.metaservice.host.internal.Timers;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import io.metaservice.host.shell.ShellTimeouts;
import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays a control API client's shell websocket to a guest's {@link HostShell}. The client
 * speaks the shell framing of the guest protocol in the host's role: it sends stdin, size and
 * abort, and receives stdout, stderr and exit. So one shell client, such as a
 * {@link HostShell} used as a websocket client, works against this relay.
 *
 * <p>Flow control holds on both sides. A stdin message is written to the guest before the
 * next one is read from the client, and is acknowledged to the client once written. Output is
 * read from the guest, which acknowledges it there, only while the client's window has room.
 *
 * <p>Threads: one writes stdin, and one per output stream pumps output; all end with the
 * shell. The flags are atomics; each window guards itself.
 */
public final class ShellRelay {

    private static final Logger LOG = LoggerFactory.getLogger(ShellRelay.class);
    private static final AtomicInteger RELAYS = new AtomicInteger();

    private final String guestId;
    private final HostShell shell;
    private final int maxMessageBytes;
    private final ShellTimeouts timeouts;
    private final String threadPrefix = "metaservice-shell-" + RELAYS.incrementAndGet();
    private final OutputWindow stdoutWindow = new OutputWindow();
    private final OutputWindow stderrWindow = new OutputWindow();
    private final ExecutorService stdinWriter = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, threadPrefix + "-stdin");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger runningPumps = new AtomicInteger(2);
    private final AtomicBoolean stopped = new AtomicBoolean();

    /** Set once when the client's connection opens. */
    private volatile Session session;
    private volatile ScheduledFuture<?> pinger;
    private volatile Thread stdoutPump;
    private volatile Thread stderrPump;

    ShellRelay(String guestId, HostShell shell, GuestLimits limits) {
        this.guestId = guestId;
        this.shell = shell;
        this.maxMessageBytes = limits.maxShellMessageBytes();
        this.timeouts = limits.shellTimeouts();
    }

    Session.Listener listener() {
        return new Listener();
    }

    private void opened(Session opened) {
        opened.setMaxBinaryMessageSize(maxMessageBytes);
        opened.setMaxTextMessageSize(maxMessageBytes);
        opened.setMaxFrameSize(maxMessageBytes);
        // A client that sends nothing, not even a pong, for this long is disconnected, as a
        // silent guest would be.
        opened.setIdleTimeout(timeouts.silenceTimeout());
        session = opened;
        long period = timeouts.pingInterval().toNanos();
        pinger = Timers.SCHEDULER.scheduleAtFixedRate(
                () -> opened.sendPing(ByteBuffer.allocate(0), Callback.NOOP), period, period, TimeUnit.NANOSECONDS);
        stdoutPump = startPump(ShellStream.STDOUT, shell.stdout(), stdoutWindow);
        stderrPump = startPump(ShellStream.STDERR, shell.stderr(), stderrWindow);
        LOG.info("guest {}: shell client connected from {}", guestId, opened.getRemoteSocketAddress());
        opened.demand();
    }

    private void received(ByteBuffer payload, Callback callback) {
        ShellMessage message = ShellCodec.decode(payload);
        if (message != null && message.type() == ShellMessage.Type.DATA && message.stream() == ShellStream.STDIN) {
            writeStdin(message, callback);
            return;
        }
        try {
            if (message != null) {
                control(message);
            }
        } finally {
            callback.succeed();
            session.demand();
        }
    }

    /**
     * Writes stdin on the writer thread; the next client message is read only afterwards. Input
     * that arrives after the relay has stopped is dropped.
     */
    private void writeStdin(ShellMessage message, Callback callback) {
        byte[] bytes = new byte[message.payload().remaining()];
        message.payload().get(bytes);
        try {
            stdinWriter.execute(() -> write(bytes, callback));
        } catch (RejectedExecutionException e) {
            LOG.debug("guest {}: dropped {} bytes of stdin that came after the shell ended", guestId, bytes.length);
            callback.succeed();
            session.demand();
        }
    }

    private void write(byte[] bytes, Callback callback) {
        try {
            if (bytes.length == 0) {
                shell.stdin().close();
            } else {
                shell.stdin().write(bytes);
                session.sendBinary(ShellCodec.ack(ShellStream.STDIN, bytes.length), Callback.NOOP);
            }
        } catch (IOException e) {
            LOG.debug("guest {}: shell stdin write failed: {}", guestId, e.toString());
        } finally {
            callback.succeed();
            session.demand();
        }
    }

    private void control(ShellMessage message) {
        switch (message.type()) {
            case ACK -> {
                if (message.stream() == ShellStream.STDOUT) {
                    stdoutWindow.acknowledge(message.count());
                } else if (message.stream() == ShellStream.STDERR) {
                    stderrWindow.acknowledge(message.count());
                }
            }
            case SIZE -> {
                try {
                    shell.setSize(message.columns(), message.rows());
                } catch (IOException e) {
                    LOG.debug("guest {}: shell resize failed: {}", guestId, e.toString());
                }
            }
            case ABORT -> shell.abort();
            default -> {
                // Exit and output go from the guest's side to the client, never back.
            }
        }
    }

    private Thread startPump(ShellStream stream, InputStream output, OutputWindow window) {
        Thread thread = new Thread(() -> pump(stream, output, window),
                threadPrefix + "-" + stream.name().toLowerCase(Locale.ROOT));
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Copies one output stream to the client within its window, then sends its end. */
    private void pump(ShellStream stream, InputStream output, OutputWindow window) {
        byte[] block = new byte[ShellProtocol.BLOCK_SIZE];
        try {
            while (true) {
                int room = window.awaitRoom();
                if (room <= 0) {
                    return;
                }
                int n = output.read(block, 0, Math.min(block.length, room));
                if (n < 0) {
                    sendAndWait(ShellCodec.endOfStream(stream));
                    return;
                }
                window.consume(n);
                sendAndWait(ShellCodec.data(stream, block, 0, n));
            }
        } catch (IOException e) {
            LOG.debug("guest {}: shell {} relay ended: {}", guestId, stream, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (runningPumps.decrementAndGet() == 0) {
                shell.result().whenComplete(this::shellEnded);
            }
        }
    }

    private void sendAndWait(ByteBuffer message) throws IOException, InterruptedException {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        session.sendBinary(message, Callback.from(() -> sent.complete(null), sent::completeExceptionally));
        try {
            sent.get(timeouts.writeTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IOException("sending to the shell client failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("sending to the shell client made no progress for "
                    + timeouts.writeTimeout().toMillis() + " ms");
        }
    }

    /** Sends exit and closes normally, or closes with an error when the shell broke. */
    private void shellEnded(ShellResult result, Throwable failure) {
        Session current = session;
        if (current != null && current.isOpen()) {
            if (failure == null) {
                current.sendBinary(ShellCodec.exit(result == ShellResult.SUCCESS), Callback.from(
                        () -> current.close(StatusCode.NORMAL, "shell ended: " + result, Callback.NOOP),
                        cause -> current.disconnect()));
            } else {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                current.close(StatusCode.SERVER_ERROR, truncate("shell failed: " + cause.getMessage()),
                        Callback.NOOP);
            }
        }
        LOG.info("guest {}: shell relay ended: {}", guestId, failure == null ? result : failure.toString());
        stop();
    }

    /** Aborts the shell if it still runs and stops the relay's threads and timer. */
    private void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        if (!shell.result().isDone()) {
            shell.abort();
        }
        ScheduledFuture<?> ping = pinger;
        if (ping != null) {
            ping.cancel(false);
        }
        stdoutWindow.close();
        stderrWindow.close();
        stdinWriter.shutdownNow();
        for (Thread pump : new Thread[] {stdoutPump, stderrPump}) {
            if (pump != null && pump != Thread.currentThread()) {
                pump.interrupt();
            }
        }
    }

    private static String truncate(String reason) {
        // A close reason must fit in a control frame: 123 bytes of UTF-8.
        String ascii = reason.replaceAll("[^\\x20-\\x7e]", "?");
        return ascii.length() > 120 ? ascii.substring(0, 120) : ascii;
    }

    /** Bytes of one output stream sent to the client and not yet acknowledged. */
    private static final class OutputWindow {
        private long inFlight;
        private boolean closed;

        /** Waits for room in the window; returns the room, or -1 once the relay stopped. */
        synchronized int awaitRoom() throws InterruptedException {
            while (!closed && inFlight >= ShellProtocol.WINDOW_SIZE) {
                wait();
            }
            return closed ? -1 : (int) (ShellProtocol.WINDOW_SIZE - inFlight);
        }

        synchronized void consume(int count) {
            inFlight += count;
        }

        synchronized void acknowledge(long count) {
            inFlight = Math.max(0, inFlight - count);
            notifyAll();
        }

        synchronized void close() {
            closed = true;
            notifyAll();
        }
    }

    /**
     * The websocket listener; demands each message only once the previous one is handled.
     * Public because Jetty calls it through method handles.
     */
    public final class Listener implements Session.Listener {

        private Listener() {
        }

        @Override
        public void onWebSocketOpen(Session opened) {
            opened(opened);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            received(payload, callback);
        }

        @Override
        public void onWebSocketText(String message) {
            session.demand();
        }

        @Override
        public void onWebSocketPing(ByteBuffer payload) {
            session.sendPong(payload, Callback.NOOP);
            session.demand();
        }

        @Override
        public void onWebSocketPong(ByteBuffer payload) {
            session.demand();
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            LOG.debug("guest {}: shell client closed with {} {}", guestId, statusCode, reason);
            stop();
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            LOG.info("guest {}: shell client connection failed: {}", guestId, cause.toString());
            stop();
        }
    }
}
