package io.metaservice.cli.internal;

import io.metaservice.protocol.Protocol;
import java.net.URI;
import java.util.regex.Pattern;

/**
 * The meta-data service that {@code metaservice guest} talks to, given as {@code HOST[:PORT]}.
 *
 * @param host a host name, an IPv4 literal or a bracketed IPv6 literal
 * @param port the TCP port, from 1 to 65535
 */
public record GuestAddress(String host, int port) {

    /** The link-local meta-data address at which a guest reaches its host inside a VM. */
    public static final String DEFAULT = Protocol.DEFAULT_HOST + ":" + Protocol.DEFAULT_PORT;

    /** Host names, IPv4 literals and bracketed IPv6 literals; nothing that could hold a path. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+]");

    /**
     * Parses {@code HOST} or {@code HOST:PORT}; the port defaults to {@value Protocol#DEFAULT_PORT}.
     *
     * @throws IllegalArgumentException with a message for the user when the address is invalid
     */
    public static GuestAddress parse(String text) {
        String host = text;
        int port = Protocol.DEFAULT_PORT;
        int colon = text.lastIndexOf(':');
        boolean bracketed = text.startsWith("[");
        if (colon >= 0 && (!bracketed || colon > text.indexOf(']'))) {
            host = text.substring(0, colon);
            port = Ports.parse(text.substring(colon + 1), text);
        }
        if (!HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("invalid host '" + text
                    + "': expected HOST or HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080");
        }
        if (port == 0) {
            throw new IllegalArgumentException("invalid host '" + text + "': port 0 cannot be"
                    + " connected to");
        }
        return new GuestAddress(host, port);
    }

    /** Returns the base URI of the service, such as {@code http://127.0.0.1:8080/}. */
    public URI baseUri() {
        return URI.create("http://" + host + ":" + port + "/");
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
