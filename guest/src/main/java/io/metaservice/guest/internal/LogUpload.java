package io.metaservice.guest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The task's log: one streaming {@code POST /engine/v1/log} with a chunked body of unknown
 * length that lasts the whole task, fed through a {@link LogPipe}.
 *
 * <p>If the host responds before the body ends, or the request fails, later writes are dropped
 * so the task never blocks on a log whose reader is gone.
 *
 * <p>Threading: writes are thread-safe, because the {@link LogPipe} serializes them.
 * {@link #finish} is called once, after the last write.
 */
public final class LogUpload {

    private static final System.Logger LOG = System.getLogger(LogUpload.class.getName());

    /** Bytes buffered between the task's terminal and the request body. */
    static final int PIPE_CAPACITY = 64 * 1024;
    /** Prefix of the agent's own messages in the log, so they stand out from task output. */
    static final String MESSAGE_PREFIX = "[metaservice guest] ";

    private final LogPipe pipe;
    private final CompletableFuture<HostResponse> response;

    private LogUpload(LogPipe pipe, CompletableFuture<HostResponse> response) {
        this.pipe = pipe;
        this.response = response;
    }

    /** Opens the log request. Returns at once; the body is sent as it is written. */
    public static LogUpload start(GuestClient client) {
        LogPipe pipe = new LogPipe(PIPE_CAPACITY);
        InputStream body = pipe.inputStream();
        CompletableFuture<HostResponse> response = client.postLog(body);
        response.whenComplete((result, error) -> {
            // Once the host has responded, or the request failed, nothing reads the body.
            pipe.abandon();
            if (error != null) {
                LOG.log(System.Logger.Level.WARNING, "Log request failed, task output is"
                        + " dropped from now on: {0}", error.toString());
            }
        });
        LOG.log(System.Logger.Level.DEBUG, "Log request started");
        return new LogUpload(pipe, response);
    }

    /** Appends task output, blocking while the pipe is full. */
    public void write(byte[] bytes, int offset, int length) throws IOException {
        pipe.write(bytes, offset, length);
    }

    /** Appends one line from the agent, such as the reason that the task could not start. */
    public void writeMessage(String message) {
        byte[] line = (MESSAGE_PREFIX + message + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            pipe.write(line, 0, line.length);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Cannot write to the log: {0}", message);
        }
    }

    /** Ends the body without waiting for the host's response. Safe to call more than once. */
    public void end() {
        pipe.closeWriter();
    }

    /**
     * Ends the body and waits up to {@code timeout} for the host's response. Returns whether
     * the host accepted the whole log with {@code 200 OK}.
     */
    public boolean finish(Duration timeout) throws InterruptedException {
        pipe.closeWriter();
        HostResponse result;
        try {
            result = response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "Log request failed: {0}",
                    e.getCause().toString());
            return false;
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "No response to the log request within {0} s",
                    timeout.toSeconds());
            pipe.abandon();
            return false;
        }
        long dropped = pipe.droppedBytes();
        if (!result.isOk()) {
            // The host may also have lost bytes that it had received before it responded.
            LOG.log(System.Logger.Level.WARNING, "The host rejected the task log with {0}, so"
                    + " the log is incomplete; {1} bytes of output written after the response"
                    + " were not sent", result.describe(), Long.toString(dropped));
            return false;
        }
        if (dropped > 0) {
            LOG.log(System.Logger.Level.WARNING, "Log request ended with {0}, but {1} bytes of"
                    + " output were not sent", result.describe(), Long.toString(dropped));
            return false;
        }
        LOG.log(System.Logger.Level.DEBUG, "Log request finished");
        return true;
    }
}
