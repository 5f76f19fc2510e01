package io.metaservice.host.daemon;

import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.websocket.api.Session;

/** A websocket client end that records how the server closed the connection. */
public final class RawWebSocket implements Session.Listener.AutoDemanding {

    final CompletableFuture<Integer> closeStatus = new CompletableFuture<>();

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        closeStatus.complete(statusCode);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        closeStatus.complete(-1);
    }
}
