package io.metaservice.host.internal;

import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Receives a kill-process reply, which the guest sends once it has started killing the task. */
public final class KillProcessReply implements ReplyHandler {

    @Override
    public void handle(PendingAction action, Request request, Response response, Callback callback) {
        if (!HttpMethod.POST.is(request.getMethod())) {
            Replies.wrongMethod(action, request, response, callback);
            return;
        }
        Responses.ok(response, callback);
        action.outcome().complete(Boolean.TRUE);
    }
}
