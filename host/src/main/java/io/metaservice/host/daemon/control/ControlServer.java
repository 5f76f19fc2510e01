package io.metaservice.host.daemon.control;

import io.metaservice.host.daemon.ControlEndpoint;
import io.metaservice.host.daemon.Daemon;
import io.metaservice.host.daemon.DaemonConfig;
import io.metaservice.host.daemon.PrivateSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The Jetty server of the control API, on its own thread pool and its own listener: a Unix
 * domain socket that only the daemon's user can use, or a loopback TCP port. It never shares
 * a connector with guests.
 */
public final class ControlServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** Idle time-out of a control connection; long-running requests lift it while they run. */
    static final long IDLE_TIMEOUT_MILLIS = 300_000;
    private static final int REQUEST_HEADER_BYTES = 16 * 1024;

    private final DaemonConfig config;
    private final Server server;
    /** The bound endpoint; set by {@link #start()}. */
    private volatile ControlEndpoint bound;

    public ControlServer(Daemon daemon, DaemonConfig config) {
        this.config = config;
        QueuedThreadPool threads = new QueuedThreadPool(config.controlThreads(), 2);
        threads.setName("metaservice-control");
        this.server = new Server(threads);
        server.setHandler(new ControlHandler(daemon, config));
        ServerWebSocketContainer.ensure(server);
        server.setStopTimeout(2_000);
    }

    /** Binds the listener and starts serving. */
    public void start() throws Exception {
        if (config.control() instanceof ControlEndpoint.UnixSocket unix) {
            startUnix(unix.path());
        } else {
            InetSocketAddress address = ((ControlEndpoint.LoopbackPort) config.control()).address();
            ServerConnector connector = new ServerConnector(server, 1, 1, httpFactory());
            connector.setHost(address.getAddress().getHostAddress());
            connector.setPort(address.getPort());
            connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
            server.addConnector(connector);
            server.start();
            bound = new ControlEndpoint.LoopbackPort(
                    new InetSocketAddress(address.getAddress(), connector.getLocalPort()));
        }
        LOG.info("control API listening on {}{}", bound,
                config.bearerToken() == null ? "" : ", bearer token required");
    }

    /** Returns the bound endpoint. */
    public ControlEndpoint endpoint() {
        return bound;
    }

    /** Returns the number of threads in the pool, for leak checks. */
    public int threads() {
        return ((QueuedThreadPool) server.getThreadPool()).getThreads();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the control server failed: {}", e.toString());
        }
        if (bound instanceof ControlEndpoint.UnixSocket unix) {
            try {
                Files.deleteIfExists(unix.path());
            } catch (IOException e) {
                LOG.warn("cannot remove the control socket {}: {}", unix.path(), e.toString());
            }
        }
    }

    private void startUnix(Path socket) throws Exception {
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, 1, 1, httpFactory());
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        try (PrivateSocket prepared = PrivateSocket.prepare(socket)) {
            connector.setUnixDomainPath(prepared.temporaryPath());
            server.addConnector(connector);
            server.start();
            prepared.publish();
        }
        bound = new ControlEndpoint.UnixSocket(socket.toAbsolutePath().normalize());
    }

    private static HttpConnectionFactory httpFactory() {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(REQUEST_HEADER_BYTES);
        return new HttpConnectionFactory(http);
    }
}
