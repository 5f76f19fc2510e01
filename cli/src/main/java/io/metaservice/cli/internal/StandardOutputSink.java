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
 *
 * <p>After the first failed write, such as on a full disk or a pipe whose reader has exited,
 * every later write fails too, so the output never continues after a gap.
 */
public final class StandardOutputSink implements LogSink {

    private static final int CHUNK_BYTES = 16 * 1024;

    private final FileOutputStream out;
    private final String name;
    /** Copy buffer for direct byte buffers. Guarded by {@code this}. */
    private final byte[] chunk = new byte[CHUNK_BYTES];
    /** Bytes written before the first failure. Guarded by {@code this}. */
    private long bytesWritten;
    /** The first failed write, or null. Guarded by {@code this}. */
    private IOException failure;

    public StandardOutputSink() {
        this(new FileOutputStream(FileDescriptor.out), "standard output");
    }

    /** Returns a sink that writes to standard error instead. */
    public static StandardOutputSink standardError() {
        return new StandardOutputSink(new FileOutputStream(FileDescriptor.err), "standard error");
    }

    StandardOutputSink(FileOutputStream out, String name) {
        this.out = out;
        this.name = name;
    }

    @Override
    public synchronized void write(ByteBuffer bytes) throws IOException {
        if (failure != null) {
            throw new IOException("writing to " + name + " failed earlier: " + failure.getMessage(),
                    failure);
        }
        try {
            writeAll(bytes);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    /**
     * Returns a message for the user when a write failed, naming the error and the bytes
     * written before it; returns null when every write succeeded. A write that failed part-way
     * may have written some bytes more than the message counts.
     */
    public synchronized String failureMessage() {
        if (failure == null) {
            return null;
        }
        return "the task log could not be written to " + name + ": " + failure.getMessage()
                + "; " + name + " got the first " + bytesWritten + " bytes of the log, and the"
                + " task's later output is lost";
    }

    private void writeAll(ByteBuffer bytes) throws IOException {
        if (bytes.hasArray()) {
            out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
            bytesWritten += bytes.remaining();
            bytes.position(bytes.limit());
            return;
        }
        while (bytes.hasRemaining()) {
            int length = Math.min(chunk.length, bytes.remaining());
            bytes.get(chunk, 0, length);
            out.write(chunk, 0, length);
            bytesWritten += length;
        }
    }
}
