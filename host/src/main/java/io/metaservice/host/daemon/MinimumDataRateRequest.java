package io.metaservice.host.daemon;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reply request whose body must arrive at an average rate of at least
 * {@code minBytesPerSecond} once the grace period has passed. Below it, reading fails with a
 * {@link TimeoutException}, which ends the upload as broken off. A body that stops altogether
 * is left to the idle time-out, because no read happens then.
 *
 * <p>Jetty 12.1's {@code HttpConfiguration.setMinRequestDataRate} is not enforced by its core
 * server, and its {@code MinimumDataRateHandler} measures the bytes of all requests through the
 * handler, so this wrapper measures the one request instead.
 *
 * <p>Concurrency: Jetty calls {@link #read()} one call at a time for a request.
 */
final class MinimumDataRateRequest extends Request.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(MinimumDataRateRequest.class);

    private final String guestId;
    private final long minBytesPerSecond;
    private final long graceNanos;
    private final long startNanos = System.nanoTime();
    private long bytes;
    /** The failure returned by every read once the rate was too low; null before. */
    private Content.Chunk failure;

    MinimumDataRateRequest(Request request, String guestId, long minBytesPerSecond, long graceNanos) {
        super(request);
        this.guestId = guestId;
        this.minBytesPerSecond = minBytesPerSecond;
        this.graceNanos = graceNanos;
    }

    @Override
    public Content.Chunk read() {
        if (failure != null) {
            return failure;
        }
        Content.Chunk chunk = super.read();
        if (chunk == null || Content.Chunk.isFailure(chunk)) {
            return chunk;
        }
        bytes += chunk.remaining();
        long elapsed = System.nanoTime() - startNanos;
        if (chunk.isLast() || elapsed <= graceNanos) {
            return chunk;
        }
        double rate = bytes * 1e9 / elapsed;
        if (rate >= minBytesPerSecond) {
            return chunk;
        }
        chunk.release();
        long millis = TimeUnit.NANOSECONDS.toMillis(elapsed);
        LOG.info("guest {}: cut off a reply body from {}: {} bytes in {} ms is below the minimum of {} bytes/s",
                guestId, getConnectionMetaData().getRemoteSocketAddress(), bytes, millis, minBytesPerSecond);
        failure = Content.Chunk.from(new TimeoutException("the reply body arrived at " + (long) rate
                + " bytes/s, below the minimum of " + minBytesPerSecond + " bytes/s"), true);
        return failure;
    }
}
