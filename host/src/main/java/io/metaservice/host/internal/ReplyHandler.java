package io.metaservice.host.internal;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Handles the guest's reply to one action. It owns {@code callback} and must complete it
 * exactly once, and must complete {@link PendingAction#outcome()} exactly once.
 */
@FunctionalInterface
public interface ReplyHandler {

    void handle(PendingAction action, Request request, Response response, Callback callback);
}
