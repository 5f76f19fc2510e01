package io.metaservice.host.daemon;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network in CIDR notation, such as {@code 192.168.150.0/24}. Parsing accepts
 * address literals only and never resolves a name. The host bits of the address must be zero.
 */
public final class Subnet {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final byte[] network;
    private final int prefixLength;

    private Subnet(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code ADDRESS/PREFIX}.
     *
     * @throws IllegalArgumentException naming the value and what is wrong with it
     */
    public static Subnet parse(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid subnet '" + cidr
                    + "': expected ADDRESS/PREFIX, such as 192.168.150.0/24");
        }
        byte[] address = parseAddress(cidr.substring(0, slash), cidr);
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid subnet '" + cidr + "': the prefix length is not a number");
        }
        int bits = address.length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("invalid subnet '" + cidr + "': the prefix length must be 0 to " + bits);
        }
        if (!hostBitsZero(address, prefix)) {
            throw new IllegalArgumentException("invalid subnet '" + cidr
                    + "': the address has host bits set; use the network address of the /" + prefix);
        }
        return new Subnet(address, prefix);
    }

    /** Returns whether {@code address} lies in this network. Addresses of the other family never do. */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != network.length) {
            return false;
        }
        return samePrefix(bytes, network, prefixLength);
    }

    /** Returns whether the two networks share at least one address. */
    public boolean overlaps(Subnet other) {
        if (other.network.length != network.length) {
            return false;
        }
        return samePrefix(network, other.network, Math.min(prefixLength, other.prefixLength));
    }

    public int prefixLength() {
        return prefixLength;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Subnet subnet && subnet.prefixLength == prefixLength
                && Arrays.equals(subnet.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of " + network.length + " bytes", e);
        }
    }

    private static byte[] parseAddress(String literal, String cidr) {
        if (IPV4.matcher(literal).matches()) {
            String[] parts = literal.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int value = Integer.parseInt(parts[i]);
                if (value > 255) {
                    throw new IllegalArgumentException("invalid subnet '" + cidr + "': " + literal
                            + " is not an IPv4 address");
                }
                bytes[i] = (byte) value;
            }
            return bytes;
        }
        if (literal.indexOf(':') >= 0 && literal.matches("[0-9A-Fa-f:.]+")) {
            try {
                // A literal that contains ':' is parsed, never looked up.
                InetAddress address = InetAddress.getByName(literal);
                return address instanceof Inet4Address ? mappedToIpv6(address) : address.getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("invalid subnet '" + cidr + "': " + e.getMessage());
            }
        }
        throw new IllegalArgumentException("invalid subnet '" + cidr + "': '" + literal
                + "' is not an IPv4 or IPv6 address literal");
    }

    private static byte[] mappedToIpv6(InetAddress address) {
        // "::ffff:a.b.c.d" comes back as IPv4; keep it as the 16 bytes the user wrote.
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        System.arraycopy(address.getAddress(), 0, bytes, 12, 4);
        return bytes;
    }

    private static boolean hostBitsZero(byte[] address, int prefix) {
        for (int bit = prefix; bit < address.length * 8; bit++) {
            if ((address[bit / 8] & (0x80 >> (bit % 8))) != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean samePrefix(byte[] a, byte[] b, int prefix) {
        int fullBytes = prefix / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[fullBytes] & mask) == (b[fullBytes] & mask);
    }
}
