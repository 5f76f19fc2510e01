package io.metaservice.host.daemon.control;

import io.metaservice.host.daemon.Guest;
import io.metaservice.host.daemon.GuestLog;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a guest's log from its start. Without follow, the stream ends at the bytes stored
 * now. With follow, it waits for more bytes and ends, after the bytes stored by then, once the
 * guest has reported its result or was released. No thread waits, because the log wakes the
 * stream when it changes.
 *
 * <p>Concurrency: {@link IteratingCallback} runs {@link #process()} one call at a time, and
 * folds a wake-up that arrives during a call into another call.
 */
final class LogStreamer extends IteratingCallback {

    private static final Logger LOG = LoggerFactory.getLogger(LogStreamer.class);
    private static final int CHUNK_BYTES = 64 * 1024;

    private final Guest guest;
    private final GuestLog log;
    private final boolean follow;
    private final Response response;
    private final Callback callback;
    /** Reused for every chunk; a chunk is written completely before the next is read. */
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES);
    private final Runnable wake = this::iterate;
    private long position;
    private boolean lastWritten;

    private LogStreamer(Guest guest, boolean follow, Response response, Callback callback) {
        this.guest = guest;
        this.log = guest.log();
        this.follow = follow;
        this.response = response;
        this.callback = callback;
    }

    static void start(Guest guest, boolean follow, Request request, Response response, Callback callback) {
        if (follow) {
            // A task may be quiet for a long time; the stream ends with the guest instead.
            request.getConnectionMetaData().getConnection().getEndPoint().setIdleTimeout(0);
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
        new LogStreamer(guest, follow, response, callback).iterate();
    }

    @Override
    protected Action process() throws Throwable {
        while (true) {
            if (lastWritten) {
                return Action.SUCCEEDED;
            }
            buffer.clear();
            int read = log.read(position, buffer);
            if (read > 0) {
                position += read;
                response.write(false, buffer.flip(), this);
                return Action.SCHEDULED;
            }
            if (!follow || log.isFinished()) {
                if (log.size() > position) {
                    continue;
                }
                lastWritten = true;
                response.write(true, BufferUtil.EMPTY_BUFFER, this);
                return Action.SCHEDULED;
            }
            if (log.awaitChange(position, wake)) {
                return Action.IDLE;
            }
        }
    }

    @Override
    protected void onCompleteSuccess() {
        callback.succeeded();
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
        log.removeWaiter(wake);
        LOG.debug("guest {}: log stream ended after {} bytes: {}", guest.id(), position, cause.toString());
        callback.failed(cause);
    }
}
