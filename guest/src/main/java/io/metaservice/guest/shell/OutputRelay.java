package io.metaservice.guest.shell;

import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Sends one output stream of the shell's process (stdout or stderr) to the host on its own
 * thread, in data messages of at most {@link ShellProtocol#BLOCK_SIZE} bytes, and never more
 * than {@link ShellProtocol#WINDOW_SIZE} bytes ahead of the host's acks. It ends the stream
 * with an empty data message when the process output ends or {@link #stop()} is called.
 *
 * <p>Threads: the relay's thread reads and sends; the websocket's thread calls
 * {@link #acknowledge}; the shell's thread calls {@link #stop()} and reads the drain state.
 * {@link #lock} guards the window; the drain state is volatile.
 */
final class OutputRelay {

    private static final System.Logger LOG = System.getLogger(OutputRelay.class.getName());

    private final ShellStream stream;
    private final InputStream source;
    private final ShellSocket socket;
    private final Thread thread;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Object lock = new Object();

    /** Bytes sent and not yet acknowledged. Guarded by {@link #lock}. */
    private long unacknowledged;
    /** The largest value {@link #unacknowledged} has had. Guarded by {@link #lock}. */
    private long maxUnacknowledged;
    /** Set by {@link #stop()}. Guarded by {@link #lock}. */
    private boolean stopped;

    /** True while the thread waits for process output, not for the window. */
    private volatile boolean waitingForOutput;
    /** {@link System#nanoTime()} of the last output read, or of the start. */
    private volatile long lastOutputNanos = System.nanoTime();

    OutputRelay(String threadName, ShellStream stream, InputStream source, ShellSocket socket) {
        this.stream = stream;
        this.source = source;
        this.socket = socket;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Applies an ack from the host. An ack for more than is outstanding counts as all. */
    void acknowledge(long count) {
        synchronized (lock) {
            unacknowledged = Math.max(0, unacknowledged - count);
            lock.notifyAll();
        }
    }

    /** Stops reading: the stream ends within the read's poll interval. */
    void stop() {
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
        }
        try {
            source.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Closing the {0} stream failed: {1}", stream, e);
        }
    }

    boolean isFinished() {
        return finished.getCount() == 0;
    }

    /** Waits for the thread to finish; returns whether it did. */
    boolean awaitFinished(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Returns whether the drain after the process's exit is over: the output has been quiet
     * for {@code quiet} while the relay waited for it, or {@code maximum} has passed.
     */
    boolean isDrained(long exitNanos, Duration quiet, Duration maximum) {
        long now = System.nanoTime();
        if (now - exitNanos >= maximum.toNanos()) {
            return true;
        }
        long quietSince = Math.max(exitNanos, lastOutputNanos);
        return waitingForOutput && now - quietSince >= quiet.toNanos();
    }

    /** Returns the most bytes that were ever sent and not yet acknowledged. */
    long maxUnacknowledged() {
        synchronized (lock) {
            return maxUnacknowledged;
        }
    }

    private void run() {
        byte[] buffer = new byte[ShellProtocol.BLOCK_SIZE];
        long total = 0;
        try {
            while (true) {
                int room = awaitWindow();
                if (room == 0) {
                    break;
                }
                waitingForOutput = true;
                int count = source.read(buffer, 0, room);
                waitingForOutput = false;
                if (count < 0) {
                    break;
                }
                lastOutputNanos = System.nanoTime();
                synchronized (lock) {
                    unacknowledged += count;
                    maxUnacknowledged = Math.max(maxUnacknowledged, unacknowledged);
                }
                socket.send(ShellCodec.data(stream, buffer, 0, count));
                total += count;
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Reading {0} failed: {1}", stream, e.toString());
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.DEBUG, "Relay of {0} interrupted", stream);
        } finally {
            waitingForOutput = false;
            socket.send(ShellCodec.endOfStream(stream));
            LOG.log(System.Logger.Level.DEBUG, "{0} ended after {1} bytes", stream,
                    Long.toString(total));
            finished.countDown();
        }
    }

    /** Waits until the window has room; returns the bytes to read, or 0 once stopped. */
    private int awaitWindow() throws InterruptedException {
        synchronized (lock) {
            while (!stopped && unacknowledged >= ShellProtocol.WINDOW_SIZE) {
                lock.wait();
            }
            if (stopped) {
                return 0;
            }
            return (int) Math.min(ShellProtocol.BLOCK_SIZE,
                    ShellProtocol.WINDOW_SIZE - unacknowledged);
        }
    }
}
