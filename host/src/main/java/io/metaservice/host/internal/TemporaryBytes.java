package io.metaservice.host.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The budget of one guest's temporary files: bytes of uploads in progress plus bytes of
 * artifacts that the host has not closed yet. Thread-safe; a single atomic counter.
 */
public final class TemporaryBytes {

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    public TemporaryBytes(long limit) {
        this.limit = limit;
    }

    /** Reserves {@code count} bytes; returns false, reserving nothing, if that exceeds the limit. */
    public boolean tryReserve(long count) {
        while (true) {
            long current = used.get();
            if (count > limit - current) {
                return false;
            }
            if (used.compareAndSet(current, current + count)) {
                return true;
            }
        }
    }

    /** Returns {@code count} reserved bytes to the budget. */
    public void release(long count) {
        used.addAndGet(-count);
    }

    /** Returns the bytes reserved now. */
    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }
}
