package io.metaservice.host.internal;

import io.metaservice.protocol.Action;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledFuture;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * A {@code GET /engine/v1/poll} request waiting for an action. It holds Jetty's callback, not a
 * thread. The broker answers it exactly once: with an action, with {@code none}, or by failing
 * it when the guest has gone.
 */
final class ParkedPoll {

    private final Request request;
    private final Response response;
    private final Callback callback;

    /** The poll time-out; guarded by the broker's lock. */
    ScheduledFuture<?> timeout;
    /** Set when the guest pipelined bytes behind the poll; the response then closes the connection. */
    private volatile boolean closeAfterResponse;

    ParkedPoll(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    /**
     * Checks, without blocking, whether the guest's end of the connection is still open. Jetty
     * does not read from a connection while a request is being handled, so a guest that closed or
     * reset its poll would otherwise be found only when a write fails, after the action was lost.
     */
    boolean isClientConnected() {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            return false;
        }
        ByteBuffer probe = BufferUtil.allocate(1);
        try {
            int filled = endPoint.fill(probe);
            if (filled > 0) {
                // A pipelined request cannot be handed back to Jetty's parser; closing the
                // connection after this response makes the guest send it again.
                closeAfterResponse = true;
            }
            return filled >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes {@code action} as the poll response. */
    void respond(Action action, Callback written) {
        if (closeAfterResponse) {
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
        Responses.json(response, Callback.from(() -> {
            callback.succeeded();
            written.succeeded();
        }, failure -> {
            callback.failed(failure);
            written.failed(failure);
        }), 200, action);
    }

    /** Ends a poll whose guest has gone, without writing a response. */
    void abandon() {
        callback.failed(new EofException("guest closed the poll connection"));
    }

    String remoteAddress() {
        return String.valueOf(request.getConnectionMetaData().getRemoteSocketAddress());
    }
}
