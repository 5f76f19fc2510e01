package io.metaservice.host.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** The control API's listener: a Unix domain socket or a TCP port on a loopback address. */
public sealed interface ControlEndpoint {

    /** The prefix that marks a Unix domain socket in {@link #parse(String)}. */
    String UNIX_PREFIX = "unix:";

    /** A Unix domain socket, created with owner-only permissions. */
    record UnixSocket(Path path) implements ControlEndpoint {
        @Override
        public String toString() {
            return UNIX_PREFIX + path;
        }
    }

    /** A TCP port on a loopback address; port 0 picks a free port. */
    record LoopbackPort(InetSocketAddress address) implements ControlEndpoint {
        public LoopbackPort {
            if (!address.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("the control API must listen on a loopback address, not "
                        + address.getAddress().getHostAddress() + "; use 127.0.0.1 or a unix: socket");
            }
        }

        @Override
        public String toString() {
            return Addresses.format(address);
        }
    }

    /**
     * Parses {@code unix:PATH} or a loopback {@code HOST:PORT}.
     *
     * @throws IllegalArgumentException naming the value and the accepted forms
     */
    static ControlEndpoint parse(String value) {
        if (value != null && value.startsWith(UNIX_PREFIX)) {
            String path = value.substring(UNIX_PREFIX.length());
            if (path.isEmpty()) {
                throw new IllegalArgumentException("invalid control address '" + value
                        + "': unix: must be followed by the socket's path");
            }
            return new UnixSocket(Path.of(path).toAbsolutePath());
        }
        return new LoopbackPort(Addresses.parseHostPort(value));
    }
}
