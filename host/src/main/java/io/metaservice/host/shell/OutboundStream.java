package io.metaservice.host.shell;

import io.metaservice.protocol.shell.ShellProtocol;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host's end of the shell's stdin. Writes are cut into blocks and block the caller while a
 * full window is sent but not acknowledged, so a guest that stops reading stalls the writer
 * instead of growing a buffer. {@link #close()} sends the end of the stream.
 *
 * <p>Concurrency: one lock guards the window; writers wait on its condition.
 */
final class OutboundStream extends OutputStream {

    /** Sends one data block, or the end of the stream when {@code length} is 0. */
    interface BlockSender {
        void send(byte[] bytes, int offset, int length) throws IOException;
    }

    private final BlockSender sender;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition windowOpen = lock.newCondition();
    /** Bytes sent and not yet acknowledged. */
    private long inFlight;
    private boolean closed;
    /** Set when the connection failed; writes then throw it. */
    private IOException failure;

    OutboundStream(BlockSender sender) {
        this.sender = sender;
    }

    /** Applies an ack from the guest. */
    void acknowledge(long count) {
        lock.lock();
        try {
            inFlight = Math.max(0, inFlight - count);
            windowOpen.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Fails pending and later writes. */
    void fail(IOException cause) {
        lock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            windowOpen.signalAll();
        } finally {
            lock.unlock();
        }
    }

    long inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            int n = reserve(length);
            sender.send(bytes, offset, n);
            offset += n;
            length -= n;
        }
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed || failure != null) {
                closed = true;
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        sender.send(new byte[0], 0, 0);
    }

    /** Waits until the window has room and reserves up to one block of it. */
    private int reserve(int wanted) throws IOException {
        lock.lock();
        try {
            while (true) {
                if (failure != null) {
                    throw new IOException(failure.getMessage(), failure);
                }
                if (closed) {
                    throw new IOException("the shell's stdin is closed");
                }
                long room = ShellProtocol.WINDOW_SIZE - inFlight;
                if (room > 0) {
                    int n = (int) Math.min(Math.min(wanted, ShellProtocol.BLOCK_SIZE), room);
                    inFlight += n;
                    return n;
                }
                windowOpen.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the guest to read stdin");
        } finally {
            lock.unlock();
        }
    }
}
