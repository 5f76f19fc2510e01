package io.metaservice.cli.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Address on which {@code metaservice run} serves the guest API: a loopback TCP address or a
 * Unix domain socket. Other hosts are rejected because the command is meant for local use only.
 *
 * @param host a loopback IP address literal, or null for a Unix domain socket
 * @param port the TCP port, 0 for a free port, or -1 for a Unix domain socket
 * @param socket the Unix domain socket path, or null for TCP
 */
public record ListenAddress(String host, int port, Path socket) {

    /** The address used when {@code --listen} is not given: a free port on 127.0.0.1. */
    public static final ListenAddress DEFAULT = new ListenAddress("127.0.0.1", 0, null);

    private static final String UNIX_PREFIX = "unix:";
    /** IPv4 or bracketed IPv6 literals; anything else would need a DNS look-up. */
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|\\[[0-9A-Fa-f:.]+]");

    /**
     * Parses {@code HOST:PORT} or {@code unix:PATH}. HOST is {@code localhost}, an IPv4 literal
     * or a bracketed IPv6 literal, and must be a loopback address.
     *
     * @throws IllegalArgumentException with a message for the user when the address is invalid
     */
    public static ListenAddress parse(String text) {
        if (text.startsWith(UNIX_PREFIX)) {
            String path = text.substring(UNIX_PREFIX.length());
            if (path.isEmpty() || path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid Unix socket address '" + text
                        + "': expected unix:PATH with a non-empty PATH");
            }
            return new ListenAddress(null, -1, Path.of(path));
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("invalid listen address '" + text
                    + "': expected HOST:PORT, such as 127.0.0.1:8080, or unix:PATH");
        }
        String host = loopbackHost(text.substring(0, colon), text);
        int port = Ports.parse(text.substring(colon + 1), text);
        return new ListenAddress(host, port, null);
    }

    /** Returns whether this is a Unix domain socket address. */
    public boolean isUnix() {
        return socket != null;
    }

    @Override
    public String toString() {
        if (isUnix()) {
            return UNIX_PREFIX + socket;
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static String loopbackHost(String host, String text) {
        if (host.equalsIgnoreCase("localhost")) {
            return "127.0.0.1";
        }
        if (!IP_LITERAL.matcher(host).matches()) {
            throw new IllegalArgumentException("invalid listen address '" + text + "': the host"
                    + " must be localhost or a loopback IP address such as 127.0.0.1 or [::1]");
        }
        String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        InetAddress address;
        try {
            // A literal is parsed without a DNS look-up.
            address = InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(
                    "invalid listen address '" + text + "': '" + host + "' is not an IP address");
        }
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("listen address '" + text + "' is not a loopback"
                    + " address: this command serves local guests only, so use 127.0.0.1,"
                    + " [::1], localhost or unix:PATH");
        }
        return address.getHostAddress();
    }
}
