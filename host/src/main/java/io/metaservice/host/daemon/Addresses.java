package io.metaservice.host.daemon;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Parsing of IP address literals and {@code HOST:PORT} values, without any name lookup. */
public final class Addresses {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private Addresses() {
    }

    /**
     * Parses an IPv4 literal such as {@code 127.0.0.1} or an IPv6 literal such as {@code ::1},
     * optionally in brackets.
     *
     * @throws IllegalArgumentException for anything else, host names included
     */
    public static InetAddress parseLiteral(String literal) {
        String bare = literal != null && literal.startsWith("[") && literal.endsWith("]")
                ? literal.substring(1, literal.length() - 1) : literal;
        if (bare == null || !(IPV4.matcher(bare).matches() || IPV6.matcher(bare).matches())) {
            throw new IllegalArgumentException("'" + literal
                    + "' is not an IP address literal; use an address such as 127.0.0.1, not a host name");
        }
        try {
            // Literals are converted, never looked up.
            return InetAddress.getByName(bare);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + literal + "' is not a valid IP address: " + e.getMessage());
        }
    }

    /** Parses a loopback address literal, such as {@code 127.0.0.1} or {@code ::1}. */
    public static InetAddress parseLoopback(String literal) {
        InetAddress address = parseLiteral(literal);
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("'" + literal
                    + "' is not a loopback address; use 127.0.0.1 or another address in 127.0.0.0/8, or ::1");
        }
        return address;
    }

    /**
     * Parses {@code HOST:PORT} or {@code [IPV6]:PORT}, where HOST is an address literal and
     * PORT is 0 to 65535.
     */
    public static InetSocketAddress parseHostPort(String value) {
        int colon = value == null ? -1 : value.lastIndexOf(':');
        if (colon <= 0 || (value.indexOf(':') != colon && !value.startsWith("["))) {
            throw new IllegalArgumentException("invalid address '" + value
                    + "': expected HOST:PORT, such as 127.0.0.1:8080, or [::1]:8080");
        }
        InetAddress host = parseLiteral(value.substring(0, colon));
        return new InetSocketAddress(host, parsePort(value.substring(colon + 1), value));
    }

    private static int parsePort(String text, String value) {
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("invalid port in '" + value + "': expected 0 to 65535");
        }
        return port;
    }

    /** Formats an address for a URI or a message: IPv6 in brackets. */
    static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
