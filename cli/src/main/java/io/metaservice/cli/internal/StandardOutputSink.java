package io.metaservice.cli.internal;

import io.metaservice.host.LogSink;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Writes the task log to standard output, unbuffered, so every byte appears as it arrives.
 *
 * <p>It writes to the file descriptor directly, bypassing {@link System#out}, and uses a stream
 * rather than a channel because an interrupted channel would close standard output.
 * Synchronized, because the service may call it from any of its threads.
 */
public final class StandardOutputSink implements LogSink {

    private static final int CHUNK_BYTES = 16 * 1024;

    private final FileOutputStream out;
    /** Copy buffer for direct byte buffers. Guarded by {@code this}. */
    private final byte[] chunk = new byte[CHUNK_BYTES];

    public StandardOutputSink() {
        this(new FileOutputStream(FileDescriptor.out));
    }

    /** Returns a sink that writes to standard error instead. */
    public static StandardOutputSink standardError() {
        return new StandardOutputSink(new FileOutputStream(FileDescriptor.err));
    }

    StandardOutputSink(FileOutputStream out) {
        this.out = out;
    }

    @Override
    public synchronized void write(ByteBuffer bytes) throws IOException {
        if (bytes.hasArray()) {
            out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
            bytes.position(bytes.limit());
            return;
        }
        while (bytes.hasRemaining()) {
            int length = Math.min(chunk.length, bytes.remaining());
            bytes.get(chunk, 0, length);
            out.write(chunk, 0, length);
        }
    }
}
