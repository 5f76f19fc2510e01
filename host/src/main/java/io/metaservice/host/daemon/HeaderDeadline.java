package io.metaservice.host.daemon;

import io.metaservice.host.internal.Timers;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.NanoTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes guest connections that take longer than the header read time-out to send a request's
 * line and headers. Jetty's idle time-out restarts on every byte, so without this a guest
 * could hold a connection forever by sending one header byte at a time.
 *
 * <p>A timer task scans every connection of the server a few times per time-out. A request's
 * clock starts at its first byte, as Jetty's HTTP parser records it. Connections that wait
 * between requests, and connections upgraded to websockets, are left alone.
 *
 * <p>NOTE: this reads the parser state through Jetty's internal {@code HttpConnection}, which
 * may change between Jetty releases; {@code GuestLimitsTest} breaks if it does.
 */
final class HeaderDeadline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);

    private final Server server;
    private final long timeoutNanos;
    private final ScheduledFuture<?> task;
    private final AtomicLong closed = new AtomicLong();

    HeaderDeadline(Server server, Duration timeout) {
        this.server = server;
        this.timeoutNanos = timeout.toNanos();
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(TimeUnit.SECONDS.toNanos(1), timeoutNanos / 4));
        this.task = Timers.SCHEDULER.scheduleAtFixedRate(this::scan, period, period, TimeUnit.NANOSECONDS);
    }

    /** Returns the number of connections closed for slow headers so far. */
    long closedConnections() {
        return closed.get();
    }

    @Override
    public void close() {
        task.cancel(false);
    }

    private void scan() {
        // A periodic task that throws is never run again, so nothing may escape from here.
        try {
            closeOverdue();
        } catch (RuntimeException e) {
            LOG.warn("checking the request header deadline failed; checking again next period", e);
        }
    }

    private void closeOverdue() {
        long now = NanoTime.now();
        for (Connector connector : server.getConnectors()) {
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                if (endPoint.getConnection() instanceof HttpConnection connection
                        && isOverdue(connection.getParser(), now)) {
                    long count = closed.incrementAndGet();
                    LOG.info("closed the connection from {}: its request headers took more than {} ms;"
                                    + " {} closed so far", endPoint.getRemoteSocketAddress(),
                            TimeUnit.NANOSECONDS.toMillis(timeoutNanos), count);
                    endPoint.close(new TimeoutException("request headers were not complete within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
                }
            }
        }
    }

    private boolean isOverdue(HttpParser parser, long now) {
        if (parser.isStart() || !parser.inHeaderState()) {
            return false;
        }
        return NanoTime.elapsed(parser.getBeginNanoTime(), now) > timeoutNanos;
    }
}
