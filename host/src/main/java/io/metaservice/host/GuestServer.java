package io.metaservice.host;

import io.metaservice.host.internal.JsonErrorHandler;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty server that serves one guest handler, usually a {@link MetaService}, on a loopback TCP
 * port or on a Unix domain socket.
 *
 * <p>The thread pool is small and fixed in size because no request holds a thread while it waits;
 * idle polls and slow bodies cost memory only.
 */
public final class GuestServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GuestServer.class);

    /** Threads serving requests; blocking work is limited to disk and log-sink writes. */
    public static final int MAX_THREADS = 16;
    /** Connections served at once by default; more wait in the accept queue. */
    public static final int MAX_CONNECTIONS = 256;
    /** Idle time-out of a connection; longer than a poll, which sends nothing while it waits. */
    public static final long IDLE_TIMEOUT_MILLIS = 120_000;

    private final Server server;
    private final URI baseUri;
    private final Path socket;

    private GuestServer(Server server, URI baseUri, Path socket) {
        this.server = server;
        this.baseUri = baseUri;
        this.socket = socket;
    }

    /**
     * Starts serving {@code handler} on {@code host}:{@code port}, with at most
     * {@value #MAX_CONNECTIONS} connections; port 0 picks a free port.
     */
    public static GuestServer start(Handler handler, String host, int port) throws Exception {
        return start(handler, host, port, MAX_CONNECTIONS);
    }

    /**
     * Starts serving {@code handler} on {@code host}:{@code port} with at most
     * {@code maxConnections} connections at once, for a handler that serves many guests.
     */
    public static GuestServer start(Handler handler, String host, int port, int maxConnections)
            throws Exception {
        Server server = newServer(handler, maxConnections);
        ServerConnector connector = new ServerConnector(server, 1, 1, httpFactory());
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        server.addConnector(connector);
        server.start();
        String authority = host.contains(":") ? "[" + host + "]" : host;
        URI uri = URI.create("http://" + authority + ":" + connector.getLocalPort() + "/");
        LOG.info("serving guest API on {}", uri);
        return new GuestServer(server, uri, null);
    }

    /** Starts serving {@code handler} on a new Unix domain socket at {@code socket}. */
    public static GuestServer startUnix(Handler handler, Path socket) throws Exception {
        Server server = newServer(handler, MAX_CONNECTIONS);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, 1, 1, httpFactory());
        connector.setUnixDomainPath(socket);
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        server.addConnector(connector);
        server.start();
        LOG.info("serving guest API on unix:{}", socket);
        return new GuestServer(server, URI.create("http://localhost/"), socket);
    }

    /**
     * Returns the base URI of a TCP server, such as {@code http://127.0.0.1:41234/}. For a Unix
     * socket it is {@code http://localhost/}, and clients must connect to {@link #socket()}.
     */
    public URI baseUri() {
        return baseUri;
    }

    /** Returns the TCP port, or -1 for a Unix domain socket. */
    public int port() {
        return socket == null ? baseUri.getPort() : -1;
    }

    /** Returns the Unix domain socket, or null for a TCP server. */
    public Path socket() {
        return socket;
    }

    /** Returns the number of threads in the server's pool, for tests and benchmarks. */
    public int poolThreads() {
        return ((QueuedThreadPool) server.getThreadPool()).getThreads();
    }

    /** Stops the server and removes its Unix domain socket. */
    @Override
    public void close() throws Exception {
        server.stop();
        if (socket != null) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.warn("cannot remove socket {}: {}", socket, e.toString());
            }
        }
    }

    private static Server newServer(Handler handler, int maxConnections) {
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("metaservice-guest-api");
        Server server = new Server(threads);
        server.setHandler(handler);
        server.setErrorHandler(new JsonErrorHandler());
        server.addBean(new NetworkConnectionLimit(maxConnections, server));
        // Exec-shell replies upgrade to a websocket; the container must exist before start.
        ServerWebSocketContainer.ensure(server);
        server.setStopTimeout(2_000);
        return server;
    }

    private static HttpConnectionFactory httpFactory() {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        return new HttpConnectionFactory(http);
    }
}
