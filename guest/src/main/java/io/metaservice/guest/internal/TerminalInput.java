package io.metaservice.guest.internal;

import com.pty4j.unix.CLibrary;
import com.pty4j.unix.Pollfd;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Reads the output side of a pseudo-terminal, or the read end of a pipe, through the C library
 * binding that pty4j loads.
 *
 * <p>pty4j's own stream ends as soon as the process has exited and the terminal has no byte
 * ready at that instant, which can lose output that the kernel is still moving into the
 * terminal. This stream instead waits in {@code poll(2)}, which first moves any pending
 * output into view. It ends only when no process has the terminal's slave side open any more
 * and every byte has been read, or when {@link #close()} is called. On a pipe it ends once
 * every write end is closed.
 *
 * <p>One thread reads. {@link #close()} may be called from any thread: it ends a read within
 * {@link #POLL_INTERVAL_MILLIS}, and does not close the descriptor, which its creator owns:
 * pty4j's {@code Pty} for a terminal.
 */
public final class TerminalInput extends InputStream {

    /** How often a waiting read checks whether the stream was closed. */
    static final int POLL_INTERVAL_MILLIS = 50;
    private static final int EIO = 5;
    private static final int MAX_READ_BYTES = 64 * 1024;

    private final int masterFd;
    private volatile boolean closed;

    /** Creates a stream of the descriptor {@code masterFd}, which the caller keeps open. */
    public TerminalInput(int masterFd) {
        this.masterFd = masterFd;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int count = read(one, 0, 1);
        return count < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, target.length);
        if (length == 0) {
            return 0;
        }
        while (!closed) {
            Pollfd[] descriptors = {new Pollfd(masterFd, CLibrary.POLLIN)};
            int ready = CLibrary.poll(descriptors, POLL_INTERVAL_MILLIS);
            if (ready < 0) {
                checkRetryable("poll");
                continue;
            }
            if (ready == 0) {
                continue;
            }
            // Also on a hang-up without POLLIN: read then returns what is left, or EIO.
            byte[] buffer = offset == 0 ? target : new byte[length];
            int count = CLibrary.read(masterFd, buffer, Math.min(length, MAX_READ_BYTES));
            if (count > 0) {
                if (buffer != target) {
                    System.arraycopy(buffer, 0, target, offset, count);
                }
                return count;
            }
            if (count == 0) {
                return -1;
            }
            int errno = CLibrary.errno();
            if (errno == EIO) {
                return -1; // Linux: no process has the slave side open any more
            }
            checkRetryable("read", errno);
        }
        return -1;
    }

    /** Makes reads end; a read that is waiting ends within the poll interval. */
    @Override
    public void close() {
        closed = true;
    }

    private static void checkRetryable(String call) throws IOException {
        checkRetryable(call, CLibrary.errno());
    }

    private static void checkRetryable(String call, int errno) throws IOException {
        if (errno != CLibrary.EINTR && errno != CLibrary.EAGAIN) {
            throw new IOException(call + " on the terminal failed with errno " + errno);
        }
    }
}
