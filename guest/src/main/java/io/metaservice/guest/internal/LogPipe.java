package io.metaservice.guest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded in-memory pipe that carries the task's output to the body of the log request.
 *
 * <p>One thread writes and one thread reads through {@link #inputStream()}. The writer blocks
 * while the buffer is full, so a slow host slows the task's output down instead of growing
 * memory. Once the reader is gone ({@link #abandon()} or closing the input stream), writes
 * are counted and dropped, so the task never blocks on a log whose reader is gone.
 *
 * <p>{@link #lock} guards all mutable state.
 */
public final class LogPipe {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    private final byte[] buffer;

    /** Index of the first unread byte. Guarded by {@link #lock}. */
    private int head;
    /** Number of unread bytes. Guarded by {@link #lock}. */
    private int count;
    /** Set by {@link #closeWriter()}, then the reader gets end of stream. Guarded by lock. */
    private boolean writerClosed;
    /** Set when the reader is gone, then writes are dropped. Guarded by {@link #lock}. */
    private boolean readerGone;
    /** Bytes dropped because the reader was gone. Guarded by {@link #lock}. */
    private long droppedBytes;

    public LogPipe(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.buffer = new byte[capacity];
    }

    /**
     * Appends bytes, blocking while the buffer is full.
     *
     * @throws IOException if the writer was already closed
     * @throws InterruptedIOException if the thread is interrupted while it waits
     */
    public void write(byte[] bytes, int offset, int length) throws IOException {
        lock.lock();
        try {
            if (writerClosed) {
                throw new IOException("log pipe is closed for writing");
            }
            while (length > 0) {
                if (readerGone) {
                    droppedBytes += length;
                    return;
                }
                if (count == buffer.length) {
                    awaitInterruptibly(writable);
                    continue;
                }
                int tail = (head + count) % buffer.length;
                int chunk = Math.min(length, Math.min(buffer.length - count, buffer.length - tail));
                System.arraycopy(bytes, offset, buffer, tail, chunk);
                count += chunk;
                offset += chunk;
                length -= chunk;
                readable.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream: the reader gets the buffered bytes, then end of stream. Idempotent. */
    public void closeWriter() {
        lock.lock();
        try {
            writerClosed = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Marks the reader as gone: buffered bytes are discarded and later writes dropped. */
    public void abandon() {
        lock.lock();
        try {
            readerGone = true;
            droppedBytes += count;
            count = 0;
            writable.signalAll();
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Returns the number of bytes dropped because the reader was gone. */
    public long droppedBytes() {
        lock.lock();
        try {
            return droppedBytes;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the reading end. Closing it is the same as {@link #abandon()}. */
    public InputStream inputStream() {
        return new Reader();
    }

    private int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        lock.lock();
        try {
            while (count == 0) {
                if (writerClosed || readerGone) {
                    return -1;
                }
                awaitInterruptibly(readable);
            }
            int chunk = Math.min(length, Math.min(count, buffer.length - head));
            System.arraycopy(buffer, head, target, offset, chunk);
            head = (head + chunk) % buffer.length;
            count -= chunk;
            writable.signal();
            return chunk;
        } finally {
            lock.unlock();
        }
    }

    private static void awaitInterruptibly(Condition condition)
            throws InterruptedIOException {
        try {
            condition.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on the log pipe");
        }
    }

    /** The reading end, handed to the HTTP client as the request body. */
    private final class Reader extends InputStream {

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = LogPipe.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            java.util.Objects.checkFromIndexSize(offset, length, target.length);
            return LogPipe.this.read(target, offset, length);
        }

        @Override
        public void close() {
            abandon();
        }
    }
}
