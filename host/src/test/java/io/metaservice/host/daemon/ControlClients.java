package io.metaservice.host.daemon;

import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellTimeouts;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.JettyUpgradeListener;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * Jetty clients for the control API where the JDK client falls short: Unix domain sockets and
 * a shell websocket driven by a {@link HostShell}, which speaks the host's side of the shell
 * framing.
 */
final class ControlClients implements AutoCloseable {

    final HttpClient http;
    final WebSocketClient websockets;
    /**
     * For Unix socket clients, a listener of the test's own whose port the request URIs name,
     * so that even a request that escaped the Unix transport would reach only the test.
     */
    private final ServerSocket decoy;

    /** Creates clients that connect over TCP. */
    ControlClients() throws Exception {
        this(null);
    }

    /**
     * Creates clients that connect only over the Unix domain socket {@code socket}, whatever
     * the host and port of a URI, or over TCP when it is null.
     */
    ControlClients(Path socket) throws Exception {
        http = socket == null ? new HttpClient() : new HttpClient(unixOnly(socket));
        decoy = socket == null ? null : new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        websockets = new WebSocketClient(http);
        http.start();
        websockets.start();
    }

    /** Returns the base URI for a Unix socket client: its host and port are only labels. */
    URI unixBase(String scheme) {
        return URI.create(scheme + "://127.0.0.1:" + decoy.getLocalPort());
    }

    /**
     * Opens a shell through the control API at {@code uri} (a ws:// URI) and returns the
     * client's end.
     */
    HostShell openShell(URI uri, String bearerToken) throws Exception {
        HostShell shell = new HostShell("control-client", "shell", ShellTimeouts.DEFAULTS);
        JettyUpgradeListener upgrade = new JettyUpgradeListener() {
            @Override
            public void onHandshakeRequest(Request request) {
                if (bearerToken != null) {
                    request.headers(headers -> headers.put("Authorization", "Bearer " + bearerToken));
                }
            }
        };
        Session session = websockets.connect(shell.listener(), uri, upgrade)
                .get(DaemonFixture.WAIT.toSeconds(), TimeUnit.SECONDS);
        if (!session.isOpen()) {
            throw new AssertionError("the shell websocket did not open");
        }
        return shell;
    }

    /**
     * Creates a transport that sends every request over the Unix socket, and fails instead of
     * falling back to TCP, so that no request can reach a port that the test did not open.
     */
    private static HttpClientTransportOverHTTP unixOnly(Path socket) {
        Transport unix = new Transport.TCPUnix(socket);
        return new HttpClientTransportOverHTTP() {
            @Override
            public Origin newOrigin(Request request) {
                request.transport(unix);
                Origin origin = super.newOrigin(request);
                if (origin.getTransport() != unix) {
                    throw new IllegalStateException("the request would not go over " + socket);
                }
                return origin;
            }
        };
    }

    @Override
    public void close() throws Exception {
        websockets.stop();
        http.stop();
        if (decoy != null) {
            decoy.close();
        }
    }
}
