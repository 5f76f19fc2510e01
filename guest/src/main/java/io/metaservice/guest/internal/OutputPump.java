package io.metaservice.guest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Copies the task's terminal output into the log on its own thread, named
 * {@code metaservice-guest-task-output}, until the terminal reaches end of stream or is closed.
 *
 * <p>After the task exits, {@link #drain} waits for the rest of the output. A background
 * child can keep the terminal open long after the task exits, so the wait ends once the
 * terminal has been quiet for a while, or at a fixed maximum.
 *
 * <p>The pump thread writes {@link #lastOutputNanos} and {@link #waitingForOutput}, and the
 * task runner's thread reads them, so both are volatile.
 */
final class OutputPump {

    private static final System.Logger LOG = System.getLogger(OutputPump.class.getName());

    private static final int BUFFER_BYTES = 16 * 1024;
    private static final long CHECK_INTERVAL_MILLIS = 20;

    private final InputStream terminal;
    private final LogUpload log;
    private final Thread thread;
    private final CountDownLatch finished = new CountDownLatch(1);

    /** {@link System#nanoTime()} of the last output read, or of the start. */
    private volatile long lastOutputNanos = System.nanoTime();
    /** True while the pump thread is blocked reading the terminal, not writing the log. */
    private volatile boolean waitingForOutput;
    /** Bytes copied into the log so far. */
    private volatile long copiedBytes;

    OutputPump(InputStream terminal, LogUpload log) {
        this.terminal = terminal;
        this.log = log;
        this.thread = new Thread(this::run, "metaservice-guest-task-output");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Waits until the terminal reaches end of stream, or has sent nothing for {@code quiet}
     * while the pump waited for output, or {@code maximum} has passed. Then stops the pump
     * thread and waits for it to finish.
     *
     * @return whether all output was read up to end of stream
     */
    boolean drain(Duration quiet, Duration maximum) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + maximum.toNanos();
        boolean complete = false;
        while (!complete) {
            complete = finished.await(CHECK_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
            long now = System.nanoTime();
            long quietSince = Math.max(start, lastOutputNanos);
            boolean isQuiet = waitingForOutput && now - quietSince >= quiet.toNanos();
            if (!complete && (isQuiet || now - deadline >= 0)) {
                break;
            }
        }
        if (!complete) {
            LOG.log(System.Logger.Level.INFO, "The task exited but its terminal is still open,"
                    + " probably held by a background process; closing the log");
        }
        LOG.log(System.Logger.Level.DEBUG, "Task output: {0} bytes copied, end of stream {1}",
                Long.toString(copiedBytes), complete);
        if (!stop(maximum)) {
            LOG.log(System.Logger.Level.WARNING, "The task output thread did not stop");
        }
        return complete;
    }

    /**
     * Stops reading at once and waits up to {@code timeout} for the pump thread to finish.
     * Returns whether it finished.
     */
    boolean stop(Duration timeout) throws InterruptedException {
        closeTerminal();
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Closes the terminal stream, so that a read in progress ends. */
    private void closeTerminal() {
        try {
            terminal.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Closing the terminal stream failed", e);
        }
    }

    private void run() {
        byte[] buffer = new byte[BUFFER_BYTES];
        try {
            while (true) {
                waitingForOutput = true;
                int count = terminal.read(buffer);
                waitingForOutput = false;
                if (count < 0) {
                    return;
                }
                lastOutputNanos = System.nanoTime();
                log.write(buffer, 0, count);
                copiedBytes += count;
            }
        } catch (IOException e) {
            // Linux reports EIO on the terminal once the last process holding it has exited,
            // and closing the terminal ends a read the same way.
            LOG.log(System.Logger.Level.DEBUG, "Task output ended: {0}", e.toString());
        } finally {
            finished.countDown();
        }
    }
}
