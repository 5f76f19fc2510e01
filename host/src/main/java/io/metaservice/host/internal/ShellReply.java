package io.metaservice.host.internal;

import io.metaservice.host.HostOperationException;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellTimeouts;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.shell.ShellProtocol;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives an exec-shell reply: a websocket upgrade on the reply URL. The outcome is the
 * {@link HostShell}, once the connection is open.
 */
public final class ShellReply implements ReplyHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ShellReply.class);

    private final String guestId;
    private final ShellTimeouts timeouts;

    public ShellReply(String guestId, ShellTimeouts timeouts) {
        this.guestId = guestId;
        this.timeouts = timeouts;
    }

    @Override
    public void handle(PendingAction action, Request request, Response response, Callback callback) {
        if (!HttpMethod.GET.is(request.getMethod())) {
            Responses.methodNotAllowed(response, callback, request.getMethod(),
                    request.getHttpURI().getPath(), "GET");
            action.outcome().completeExceptionally(new HostOperationException(
                    "the guest replied to exec-shell action " + action.id() + " with method "
                            + Responses.quote(request.getMethod()) + " instead of a websocket upgrade", true));
            return;
        }
        ServerWebSocketContainer container = ServerWebSocketContainer.get(request.getContext());
        HostShell shell = new HostShell(guestId, action.id(), timeouts);
        boolean upgraded = container != null && container.upgrade((upgradeRequest, upgradeResponse, upgradeCallback) -> {
            completeWhenOpen(action, shell);
            return shell.listener();
        }, request, response, callback);
        if (!upgraded) {
            LOG.info("guest {}: exec-shell reply {} was not a websocket upgrade", guestId, action.id());
            Responses.error(response, callback, 400, ErrorCode.INVALID_PAYLOAD,
                    "an exec-shell reply must be a websocket upgrade (GET with Upgrade: websocket)");
            action.outcome().completeExceptionally(new HostOperationException(
                    "the guest replied to exec-shell action " + action.id() + " without a websocket upgrade", true));
        }
    }

    /**
     * Hands the shell to the caller once its websocket is open, because the streams and
     * {@code setSize} fail before. A connection that does not open within the handshake
     * time-out fails the attempt, which the caller retries.
     */
    private void completeWhenOpen(PendingAction action, HostShell shell) {
        ScheduledFuture<?> deadline = Timers.SCHEDULER.schedule(() -> {
            if (action.outcome().completeExceptionally(new HostOperationException("the exec-shell"
                    + " connection of action " + action.id() + " did not open within "
                    + ShellProtocol.HANDSHAKE_TIMEOUT.toMillis() + " ms", true))) {
                shell.abort();
            }
        }, ShellProtocol.HANDSHAKE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        shell.opened().whenComplete((ignored, failure) -> {
            deadline.cancel(false);
            if (failure == null) {
                action.outcome().complete(shell);
            } else {
                action.outcome().completeExceptionally(new HostOperationException("the exec-shell"
                        + " connection of action " + action.id() + " ended before it opened: "
                        + failure.getMessage(), true, failure));
            }
        });
    }
}
