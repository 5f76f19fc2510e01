package io.metaservice.guest.shell;

import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Writes the host's stdin data to the shell's process on its own thread, and acknowledges the
 * bytes once they are written. The host may send at most {@link ShellProtocol#WINDOW_SIZE}
 * bytes ahead of the acks, so the queue never contains more than that, and {@link #offer} rejects
 * data beyond it.
 *
 * <p>When the process no longer reads its input (it closed it or exited), later data is
 * dropped but still acknowledged, so that the host's writer does not wait forever.
 *
 * <p>Threads: the websocket's thread offers data and the end; the relay's thread writes;
 * {@link #lock} guards the queue and counters.
 */
final class InputRelay {

    private static final System.Logger LOG = System.getLogger(InputRelay.class.getName());

    private final String threadName;
    private final ShellSocket socket;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Object lock = new Object();

    /** Payloads not yet written. Guarded by {@link #lock}. */
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    /** Bytes received and not yet acknowledged. Guarded by {@link #lock}. */
    private long outstanding;
    /** Set when the host ended stdin. Guarded by {@link #lock}. */
    private boolean endRequested;
    /** Set by {@link #stop()}. Guarded by {@link #lock}. */
    private boolean stopped;
    /** The relay's thread, or null before {@link #start}. Guarded by {@link #lock}. */
    private Thread thread;

    InputRelay(String threadName, ShellSocket socket) {
        this.threadName = threadName;
        this.socket = socket;
    }

    /** Starts writing to the process's stdin; data offered before waits in the queue. */
    void start(ShellProcess process) {
        Thread started = new Thread(() -> run(process), threadName);
        started.setDaemon(true);
        synchronized (lock) {
            thread = started;
        }
        started.start();
    }

    /**
     * Queues a payload from the host. Returns false when it goes beyond the window, which
     * breaks the protocol. Data after the end of the stream is ignored.
     */
    boolean offer(ByteBuffer payload) {
        synchronized (lock) {
            if (endRequested || stopped) {
                return true;
            }
            if (outstanding + payload.remaining() > ShellProtocol.WINDOW_SIZE) {
                return false;
            }
            byte[] copy = new byte[payload.remaining()];
            payload.get(copy);
            queue.addLast(copy);
            outstanding += copy.length;
            lock.notifyAll();
            return true;
        }
    }

    /** Ends the process's input after the queued data. */
    void end() {
        synchronized (lock) {
            endRequested = true;
            lock.notifyAll();
        }
    }

    /** Stops writing; queued data is dropped. */
    void stop() {
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
        }
    }

    /** Waits for the thread to finish; returns whether it did or never started. */
    boolean awaitFinished(Duration timeout) throws InterruptedException {
        synchronized (lock) {
            if (thread == null) {
                return true;
            }
        }
        return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void run(ShellProcess process) {
        OutputStream target = process.input();
        boolean broken = false;
        long pendingAck = 0;
        try {
            while (true) {
                byte[] payload = take();
                if (payload == null) {
                    break;
                }
                if (!broken) {
                    try {
                        target.write(payload);
                        target.flush();
                    } catch (IOException e) {
                        broken = true;
                        LOG.log(System.Logger.Level.DEBUG, "The process no longer reads stdin,"
                                + " dropping further input: {0}", e.toString());
                    }
                }
                // Acks of payloads written in a row are merged, up to two blocks.
                pendingAck += payload.length;
                if (pendingAck >= 2 * ShellProtocol.BLOCK_SIZE || isQueueEmpty()) {
                    acknowledge(pendingAck);
                    pendingAck = 0;
                }
            }
            if (!broken && isEndRequested()) {
                process.endInput();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Ending stdin failed: {0}", e.toString());
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.DEBUG, "Stdin relay interrupted");
        } finally {
            finished.countDown();
        }
    }

    /** Returns the next payload, or null at the end of the stream or once stopped. */
    private byte[] take() throws InterruptedException {
        synchronized (lock) {
            while (queue.isEmpty() && !endRequested && !stopped) {
                lock.wait();
            }
            return stopped ? null : queue.pollFirst();
        }
    }

    private boolean isQueueEmpty() {
        synchronized (lock) {
            return queue.isEmpty();
        }
    }

    private boolean isEndRequested() {
        synchronized (lock) {
            return endRequested && !stopped;
        }
    }

    private void acknowledge(long count) {
        synchronized (lock) {
            outstanding -= count;
        }
        socket.send(ShellCodec.ack(ShellStream.STDIN, count));
    }
}
