package io.metaservice.host.daemon;

import io.metaservice.host.LogSink;
import io.metaservice.host.internal.Timers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest's task log, kept in a file so that readers can follow it from its start. The first
 * {@code maxBytes} bytes are stored; later bytes are counted in {@link #droppedBytes()} and
 * dropped. Readers register a waiter to hear of new bytes and of the end.
 *
 * <p>Concurrency: one lock guards the size, the counters, the flags and the waiters. File
 * reads and writes are positional and run outside the lock, so a reader does not hold up the
 * writer. Waiters run on
 * {@link Timers#CALLBACKS}, never on the writer's thread.
 */
public final class GuestLog implements LogSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GuestLog.class);

    private final String guestId;
    private final Path file;
    private final long maxBytes;
    private final FileChannel channel;

    private final ReentrantLock lock = new ReentrantLock();
    /** Bytes stored in the file. */
    private long size;
    private long dropped;
    /** Set once the guest has reported its result, or was released. */
    private boolean finished;
    private boolean closed;
    /** One-shot waiters for the next change. */
    private final List<Runnable> waiters = new ArrayList<>();

    private GuestLog(String guestId, Path file, long maxBytes, FileChannel channel) {
        this.guestId = guestId;
        this.file = file;
        this.maxBytes = maxBytes;
        this.channel = channel;
    }

    /** Creates the log file, which must not exist, readable by its owner only. */
    public static GuestLog create(String guestId, Path file, long maxBytes) throws IOException {
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return new GuestLog(guestId, file, maxBytes, channel);
    }

    /** Appends bytes, up to the limit. Called one call at a time by the guest's service. */
    @Override
    public void write(ByteBuffer bytes) throws IOException {
        int length = bytes.remaining();
        long start;
        int take;
        lock.lock();
        try {
            if (closed) {
                throw new IOException("the log of guest " + guestId + " is closed");
            }
            start = size;
            take = (int) Math.min(length, maxBytes - size);
        } finally {
            lock.unlock();
        }
        ByteBuffer stored = bytes.slice();
        stored.limit(take);
        long position = start;
        while (stored.hasRemaining()) {
            position += channel.write(stored, position);
        }
        bytes.position(bytes.limit());

        boolean firstDrop;
        List<Runnable> woken;
        lock.lock();
        try {
            size += take;
            firstDrop = dropped == 0 && take < length;
            dropped += length - take;
            woken = takeWaiters();
        } finally {
            lock.unlock();
        }
        if (firstDrop) {
            LOG.warn("guest {}: the task log reached its limit of {} bytes; later bytes are dropped",
                    guestId, maxBytes);
        }
        wake(woken);
    }

    /**
     * Reads stored bytes from {@code position} into {@code target}; returns the number read,
     * 0 at the current end.
     */
    public int read(long position, ByteBuffer target) throws IOException {
        long available = size() - position;
        if (available <= 0) {
            return 0;
        }
        ByteBuffer window = target.slice();
        window.limit((int) Math.min(window.remaining(), available));
        int total = 0;
        while (window.hasRemaining()) {
            int n = channel.read(window, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        target.position(target.position() + total);
        return total;
    }

    /**
     * Registers {@code waiter} to run once on the next change, unless there is something to
     * read at {@code position} already or the log has finished. Returns false, registering
     * nothing, in those cases.
     */
    public boolean awaitChange(long position, Runnable waiter) {
        lock.lock();
        try {
            if (position < size || finished || closed) {
                return false;
            }
            waiters.add(waiter);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Removes a waiter that no longer needs to run. */
    public void removeWaiter(Runnable waiter) {
        lock.lock();
        try {
            waiters.remove(waiter);
        } finally {
            lock.unlock();
        }
    }

    /** Marks the end for readers that follow the log; bytes written later are still stored. */
    public void finish() {
        List<Runnable> woken;
        lock.lock();
        try {
            finished = true;
            woken = takeWaiters();
        } finally {
            lock.unlock();
        }
        wake(woken);
    }

    public boolean isFinished() {
        lock.lock();
        try {
            return finished;
        } finally {
            lock.unlock();
        }
    }

    public long size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the bytes dropped because the log reached its limit. */
    public long droppedBytes() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Finishes the log, closes and deletes the file. Readers then fail. */
    @Override
    public void close() {
        List<Runnable> woken;
        lock.lock();
        try {
            finished = true;
            closed = true;
            woken = takeWaiters();
        } finally {
            lock.unlock();
        }
        wake(woken);
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("guest {}: cannot delete the log file {}: {}", guestId, file, e.toString());
        }
    }

    private List<Runnable> takeWaiters() {
        if (waiters.isEmpty()) {
            return List.of();
        }
        List<Runnable> taken = new ArrayList<>(waiters);
        waiters.clear();
        return taken;
    }

    private static void wake(List<Runnable> woken) {
        for (Runnable waiter : woken) {
            Timers.CALLBACKS.execute(waiter);
        }
    }
}
