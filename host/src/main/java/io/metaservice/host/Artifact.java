package io.metaservice.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A file received from the guest, stored in a temporary file that {@link #close()} deletes.
 * Move or copy it before closing to keep it.
 */
public final class Artifact implements AutoCloseable {

    private final String guestPath;
    private final Path file;
    private final long size;
    /** Runs once, on the first {@link #close()}; returns the bytes to the guest's budget. */
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    public Artifact(String guestPath, Path file, long size) {
        this(guestPath, file, size, () -> { });
    }

    /** Creates an artifact whose first {@link #close()} also runs {@code onClose}. */
    public Artifact(String guestPath, Path file, long size, Runnable onClose) {
        this.guestPath = guestPath;
        this.file = file;
        this.size = size;
        this.onClose = onClose;
    }

    /** Returns the path that was requested from the guest. */
    public String guestPath() {
        return guestPath;
    }

    /** Returns the temporary file that contains the bytes. */
    public Path path() {
        return file;
    }

    /** Returns the number of bytes received. */
    public long size() {
        return size;
    }

    public InputStream openStream() throws IOException {
        return Files.newInputStream(file);
    }

    /** Deletes the temporary file. Safe to call more than once. */
    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(file);
        } finally {
            if (closed.compareAndSet(false, true)) {
                onClose.run();
            }
        }
    }
}
