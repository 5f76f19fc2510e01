package io.metaservice.host.internal;

import io.metaservice.host.HostOperationException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Helpers shared by the reply handlers. */
final class Replies {

    private Replies() {
    }

    /**
     * Answers a reply sent with a method other than POST: {@code 405}, and the action fails as
     * retryable because its id is used up.
     */
    static void wrongMethod(PendingAction action, Request request, Response response, Callback callback) {
        Responses.methodNotAllowed(response, callback, request.getMethod(),
                request.getHttpURI().getPath(), "POST");
        action.outcome().completeExceptionally(new HostOperationException(
                "the guest replied to " + action.action().type().wireName() + " action " + action.id()
                        + " with method " + Responses.quote(request.getMethod()) + " instead of POST",
                true));
    }
}
