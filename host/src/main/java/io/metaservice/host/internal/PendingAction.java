package io.metaservice.host.internal;

import io.metaservice.protocol.Action;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One action on its way to the guest and back. The broker's lock guards {@code state},
 * {@code timer} and {@code deliveryDeadlineNanos}; {@link #outcome()} is completed once, by the
 * reply handler or by a deadline.
 */
public final class PendingAction {

    enum State {
        /** Waiting for a poller. */
        QUEUED,
        /** Written to a poll response; waiting for the reply to start. */
        SENT,
        /** The reply request has taken the action. */
        REPLYING,
        /** Timed out or cancelled; forgotten by the broker. */
        EXPIRED
    }

    private final Action action;
    private final ReplyHandler replyHandler;
    private final CompletableFuture<Object> outcome = new CompletableFuture<>();

    State state = State.QUEUED;
    /** The running deadline: delivery while QUEUED, reply start while SENT, else null. */
    ScheduledFuture<?> timer;
    long deliveryDeadlineNanos;

    public PendingAction(Action action, ReplyHandler replyHandler) {
        this.action = action;
        this.replyHandler = replyHandler;
    }

    public Action action() {
        return action;
    }

    public String id() {
        return action.id();
    }

    /** Passes the reply request to this action's handler. */
    public void handleReply(Request request, Response response, Callback callback) {
        replyHandler.handle(this, request, response, callback);
    }

    /**
     * The result of the action: a value that depends on the action type, or an exception,
     * typically a {@code HostOperationException}.
     */
    public CompletableFuture<Object> outcome() {
        return outcome;
    }

    void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
