package io.metaservice.host.shell;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.function.LongConsumer;

/**
 * The host's end of a guest output stream (stdout or stderr). Received payloads wait here until
 * the consumer reads them; each read reports the bytes consumed to {@code onConsumed}, which
 * sends the ack. The guest may not send more than the window ahead of the acks, so the buffer
 * never holds more than one window.
 *
 * <p>Concurrency: the object's monitor guards all state; readers block on it.
 */
final class InboundStream extends InputStream {

    private final LongConsumer onConsumed;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    /** Read position in the first chunk. */
    private int offset;
    private long buffered;
    private boolean ended;
    /** Set when the connection failed before the end of the stream; reads then throw it. */
    private IOException failure;

    InboundStream(LongConsumer onConsumed) {
        this.onConsumed = onConsumed;
    }

    /** Appends a payload from the guest. */
    synchronized void append(byte[] payload) {
        if (ended || failure != null) {
            return;
        }
        chunks.addLast(payload);
        buffered += payload.length;
        notifyAll();
    }

    /** Marks the end of the stream, after the buffered bytes. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    /** Fails the stream unless it has ended; buffered bytes stay readable. */
    synchronized void fail(IOException cause) {
        if (!ended && failure == null) {
            failure = cause;
            notifyAll();
        }
    }

    synchronized long buffered() {
        return buffered;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int targetOffset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        int copied = 0;
        synchronized (this) {
            while (chunks.isEmpty()) {
                if (ended) {
                    return -1;
                }
                if (failure != null) {
                    throw new IOException(failure.getMessage(), failure);
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while reading shell output");
                }
            }
            while (copied < length && !chunks.isEmpty()) {
                byte[] first = chunks.peekFirst();
                int n = Math.min(length - copied, first.length - offset);
                System.arraycopy(first, offset, target, targetOffset + copied, n);
                copied += n;
                offset += n;
                if (offset == first.length) {
                    chunks.removeFirst();
                    offset = 0;
                }
            }
            buffered -= copied;
        }
        onConsumed.accept(copied);
        return copied;
    }

    @Override
    public synchronized int available() {
        return (int) Math.min(Integer.MAX_VALUE, buffered);
    }
}
