package io.metaservice.host.daemon;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A {@link GuestRoute} checked and parsed: the kind, and the subnet, socket path or loopback
 * address it names. The socket is null when the daemon picks it.
 */
record RouteRequest(Kind kind, Subnet subnet, Path socket, InetSocketAddress loopback) {

    enum Kind { SUBNET, UNIX_SOCKET, LOOPBACK_PORT }

    private static final String DEFAULT_LOOPBACK = "127.0.0.1";

    /**
     * Checks a route as sent by a client.
     *
     * @throws DaemonException {@code InvalidRequest} naming what is wrong
     */
    static RouteRequest parse(GuestRoute route, boolean sharedListener) throws DaemonException {
        try {
            if (route instanceof GuestRoute.SubnetRoute subnet) {
                if (!sharedListener) {
                    throw new IllegalArgumentException("subnet routes need the shared guest listener,"
                            + " and this daemon was started without one; give it a guest listener address");
                }
                return new RouteRequest(Kind.SUBNET, Subnet.parse(subnet.subnet()), null, null);
            }
            if (route instanceof GuestRoute.UnixSocketRoute unix) {
                Path socket = null;
                if (unix.path() != null) {
                    socket = Path.of(unix.path());
                    if (!socket.isAbsolute()) {
                        throw new IllegalArgumentException("the socket path '" + unix.path()
                                + "' is relative; give an absolute path, or none to let the daemon pick one");
                    }
                    socket = socket.normalize();
                }
                return new RouteRequest(Kind.UNIX_SOCKET, null, socket, null);
            }
            GuestRoute.LoopbackPortRoute port = (GuestRoute.LoopbackPortRoute) route;
            InetAddress host = Addresses.parseLoopback(port.host() == null ? DEFAULT_LOOPBACK : port.host());
            if (port.port() < 0 || port.port() > 65535) {
                throw new IllegalArgumentException("the port " + port.port() + " is not 0 to 65535");
            }
            return new RouteRequest(Kind.LOOPBACK_PORT, null, null, new InetSocketAddress(host, port.port()));
        } catch (IllegalArgumentException e) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "invalid route: " + e.getMessage(), e);
        }
    }

    /** Returns why this route collides with another guest's route, or null if it does not. */
    String conflictWith(Guest.Route other) {
        if (other == null) {
            return null;
        }
        switch (kind) {
            case SUBNET -> {
                if (other.subnet() != null && subnet.overlaps(other.subnet())) {
                    return "the subnet " + subnet + " overlaps the subnet " + other.subnet();
                }
            }
            case UNIX_SOCKET -> {
                if (socket != null && socket.equals(other.socket())) {
                    return "the socket " + socket + " is the route";
                }
            }
            case LOOPBACK_PORT -> {
                if (loopback.getPort() != 0 && other.connector() instanceof ServerConnector connector
                        && connector.getLocalPort() == loopback.getPort()
                        && loopback.getAddress().getHostAddress().equals(connector.getHost())) {
                    return "the port " + Addresses.format(loopback) + " is the route";
                }
            }
        }
        return null;
    }
}
