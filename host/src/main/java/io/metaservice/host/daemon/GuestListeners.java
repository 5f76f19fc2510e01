package io.metaservice.host.daemon;

import io.metaservice.host.internal.JsonErrorHandler;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty server that guests talk to: the shared listener for subnet routes, and one
 * connector per unix-socket or loopback-port route, added and removed while the server runs.
 * All connectors share one thread pool and the {@link GuestRouter}. Each connector applies
 * the header size limit, the idle time-out and a {@link ConnectionLimiter}; a
 * {@link HeaderDeadline} watches them all.
 *
 * <p>Concurrency: Jetty's server is thread-safe for adding and removing connectors; the
 * daemon serializes the calls under its lock.
 */
final class GuestListeners implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GuestListeners.class);

    private final GuestLimits limits;
    private final GuestRouter router;
    private final Server server;
    private final HeaderDeadline headerDeadline;
    /** The shared listener; null when no subnet listener is configured. */
    private ServerConnector shared;

    GuestListeners(DaemonConfig config, GuestRouter router) {
        this.limits = config.limits();
        this.router = router;
        QueuedThreadPool threads = new QueuedThreadPool(config.guestThreads(), 4);
        threads.setName("metaservice-guests");
        this.server = new Server(threads);
        server.setHandler(router);
        server.setErrorHandler(new JsonErrorHandler());
        // Exec-shell replies upgrade to websockets; the container must exist before start.
        ServerWebSocketContainer.ensure(server);
        server.setStopTimeout(2_000);
        this.headerDeadline = new HeaderDeadline(server, limits.headerReadTimeout());
    }

    /** Starts the server, with the shared listener at {@code sharedAddress} unless it is null. */
    void start(InetSocketAddress sharedAddress) throws Exception {
        if (sharedAddress != null) {
            shared = new ServerConnector(server, 1, 1, httpFactory());
            shared.setHost(sharedAddress.getAddress().getHostAddress());
            shared.setPort(sharedAddress.getPort());
            shared.setIdleTimeout(limits.idleTimeout().toMillis());
            shared.addEventListener(new ConnectionLimiter("shared guest listener",
                    router::guestForSource, limits.maxConnections()));
            server.addConnector(shared);
            router.setShared(shared);
        }
        server.start();
        if (shared != null) {
            LOG.info("serving subnet routes on {}:{}", shared.getHost(), shared.getLocalPort());
        }
    }

    /** Returns the bound address of the shared listener, or null when there is none. */
    InetSocketAddress sharedAddress() {
        if (shared == null) {
            return null;
        }
        return new InetSocketAddress(shared.getHost(), shared.getLocalPort());
    }

    /**
     * Opens a connector for {@code guest} on a loopback TCP port; port 0 picks a free one.
     *
     * @throws DaemonException {@code RouteConflict} when the port is in use
     */
    ServerConnector openPort(Guest guest, InetAddress host, int port) throws DaemonException {
        ServerConnector connector = new ServerConnector(server, 1, 1, httpFactory());
        connector.setHost(host.getHostAddress());
        connector.setPort(port);
        try {
            startConnector(connector, guest);
        } catch (BindException e) {
            throw new DaemonException(ControlErrorCode.ROUTE_CONFLICT, "cannot listen on "
                    + Addresses.format(new InetSocketAddress(host, port)) + ": " + e.getMessage()
                    + "; choose another port, or 0 for a free one", e);
        }
        return connector;
    }

    /**
     * Opens a connector for {@code guest} on a new Unix domain socket at {@code socket},
     * readable and writable by the daemon's user only.
     */
    UnixDomainServerConnector openUnix(Guest guest, Path socket) throws DaemonException {
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, 1, 1, httpFactory());
        try (PrivateSocket bound = PrivateSocket.prepare(socket)) {
            connector.setUnixDomainPath(bound.temporaryPath());
            startConnector(connector, guest);
            bound.publish();
        } catch (IOException e) {
            closeConnector(connector);
            throw new DaemonException(ControlErrorCode.ROUTE_CONFLICT,
                    "cannot create the socket " + socket + ": " + e.getMessage(), e);
        }
        return connector;
    }

    /** Stops a guest's connector and closes its connections. */
    void closeConnector(Connector connector) {
        try {
            connector.stop();
        } catch (Exception e) {
            LOG.warn("stopping the guest connector {} failed: {}", connector, e.toString());
        }
        server.removeConnector(connector);
    }

    /** Returns the number of connections closed for slow request headers. */
    long slowHeaderClosures() {
        return headerDeadline.closedConnections();
    }

    /** Returns the number of open connections on all connectors, for leak checks. */
    int connections() {
        int open = 0;
        for (Connector connector : server.getConnectors()) {
            open += connector.getConnectedEndPoints().size();
        }
        return open;
    }

    /** Returns the number of threads in the pool, for leak checks. */
    int threads() {
        return ((QueuedThreadPool) server.getThreadPool()).getThreads();
    }

    @Override
    public void close() throws Exception {
        headerDeadline.close();
        server.stop();
    }

    private void startConnector(AbstractConnector connector, Guest guest) throws BindException {
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.addEventListener(new ConnectionLimiter("guest " + guest.id(), remote -> guest,
                limits.maxConnections()));
        server.addConnector(connector);
        try {
            connector.start();
        } catch (BindException e) {
            server.removeConnector(connector);
            throw e;
        } catch (Exception e) {
            server.removeConnector(connector);
            throw new IllegalStateException("cannot start a connector for guest " + guest.id() + ": " + e, e);
        }
    }

    private HttpConnectionFactory httpFactory() {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(limits.maxRequestHeaderBytes());
        return new HttpConnectionFactory(http);
    }
}
