package io.metaservice.host.internal;

import io.metaservice.host.LogSink;
import io.metaservice.protocol.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends log request bodies to the {@link LogSink} as they arrive. Several log requests may run
 * at once; the lock makes each chunk reach the sink whole, so streams interleave only at chunk
 * boundaries.
 */
public final class LogIngest {

    private static final Logger LOG = LoggerFactory.getLogger(LogIngest.class);

    private final String guestId;
    private final LogSink sink;
    private final ReentrantLock sinkLock = new ReentrantLock();
    private final AtomicLong bytes = new AtomicLong();
    /** Set once the sink has thrown; later log requests are refused at once. */
    private volatile boolean writeFailed;

    /** One permit per log request that is streaming. */
    private final Semaphore streams;
    private final int maxStreams;

    public LogIngest(String guestId, LogSink sink, int maxStreams) {
        this.guestId = guestId;
        this.sink = sink;
        this.maxStreams = maxStreams;
        this.streams = new Semaphore(maxStreams);
    }

    /** Returns the number of log bytes written to the sink so far. */
    public long bytes() {
        return bytes.get();
    }

    /** Returns true once the sink has failed, so that part of the task log is lost. */
    public boolean writeFailed() {
        return writeFailed;
    }

    /** Streams {@code request}'s body into the sink, then responds with {@code 200}. */
    public void handle(Request request, Response response, Callback callback) {
        if (writeFailed) {
            Responses.error(response, callback, 500, ErrorCode.INTERNAL_ERROR,
                    "the host can no longer write the task log; ensure the task is completed");
            return;
        }
        if (!streams.tryAcquire()) {
            LOG.info("guest {}: rejected a log request: {} are streaming already, the maximum", guestId, maxStreams);
            Responses.error(response, callback, 429, ErrorCode.TOO_MANY_REQUESTS,
                    maxStreams + " log requests are streaming already, the maximum;"
                            + " send more output through one of them");
            return;
        }
        Callback released = Callback.from(() -> {
            streams.release();
            callback.succeeded();
        }, failure -> {
            streams.release();
            callback.failed(failure);
        });
        stream(request, response, released);
    }

    private void stream(Request request, Response response, Callback callback) {
        // A task may be silent for a long time while its log request stays open. The
        // connector's idle time-out returns once the body has ended, for the idle connection.
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        long idleTimeout = endPoint.getIdleTimeout();
        endPoint.setIdleTimeout(0);
        ContentPump.start(request, new ContentPump.Receiver() {
            @Override
            public boolean accept(ByteBuffer chunk) throws IOException {
                int length = chunk.remaining();
                sinkLock.lock();
                try {
                    sink.write(chunk);
                } finally {
                    sinkLock.unlock();
                }
                bytes.addAndGet(length);
                return true;
            }

            @Override
            public void complete() {
                endPoint.setIdleTimeout(idleTimeout);
                Responses.ok(response, callback);
            }

            @Override
            public void stopped(IOException error) {
                writeFailed = true;
                endPoint.setIdleTimeout(idleTimeout);
                LOG.warn("guest {}: the task log can no longer be written: {}", guestId, String.valueOf(error));
                Responses.error(response, callback, 500, ErrorCode.INTERNAL_ERROR,
                        "the host can no longer write the task log; ensure the task is completed");
            }

            @Override
            public void failed(Throwable failure) {
                LOG.debug("guest {}: log request ended without its end: {}", guestId, failure.toString());
                callback.failed(failure);
            }
        });
    }
}
