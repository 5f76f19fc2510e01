package io.metaservice.host.daemon;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * How to attach a VM to a guest's route. Fields that do not apply to the route are null.
 *
 * @param subnet the source network of a subnet route
 * @param listener the shared listener's {@code HOST:PORT} that a subnet route's VM must reach
 * @param socket the Unix domain socket of a unix-socket route
 * @param host the loopback address of a loopback-port route
 * @param port the port of a loopback-port route
 * @param qemuNetdev a ready {@code -netdev} value for QEMU user-mode networking that forwards
 *     the guest's meta-data address to this route; null for a subnet route
 */
@JsonPropertyOrder({"subnet", "listener", "socket", "host", "port", "qemuNetdev"})
public record Attachment(
        String subnet, String listener, String socket, String host, Integer port, String qemuNetdev) {

    /** The {@code id} of the {@code -netdev} value, for QEMU's {@code -device ...,netdev=ID}. */
    public static final String NETDEV_ID = "net0";

    static Attachment forSubnet(Subnet subnet, String listener) {
        return new Attachment(subnet.toString(), listener, null, null, null, null);
    }

    static Attachment forUnixSocket(String socket, String guestAddress, int guestPort) {
        return new Attachment(null, null, socket, null, null,
                netdev(guestAddress, guestPort, "socat STDIO " + shellQuote("UNIX-CONNECT:" + socket)));
    }

    static Attachment forLoopbackPort(String host, int port, String guestAddress, int guestPort) {
        return new Attachment(null, null, null, host, port,
                netdev(guestAddress, guestPort, "socat STDIO " + shellQuote("TCP:" + host + ":" + port)));
    }

    /**
     * Builds {@code user,id=net0,restrict=on,net=A.B.0.0/16,host=A.B.0.2,guestfwd=tcp:ADDRESS:PORT-cmd:COMMAND}.
     * QEMU forwards only to addresses inside its virtual network, so the network is the /16
     * around the meta-data address (169.254.0.0/16 for the default). QEMU runs the command, socat,
     * once for every connection that the guest opens to the address, so each request gets its own
     * connection to the route. {@code restrict=on} drops every other packet, so the guest cannot
     * reach the host's own addresses, where the loopback ports of other guests and a TCP control
     * API listen. A comma inside a QEMU option value is written twice.
     *
     * <p>NOTE: the daemon's tests check this value with QEMU's option parser only; the same
     * network settings boot a VM in the vm module's tests.
     */
    private static String netdev(String guestAddress, int guestPort, String command) {
        String[] octets = guestAddress.split("\\.");
        String network = octets.length == 4 ? ",net=" + octets[0] + "." + octets[1] + ".0.0/16,host="
                + octets[0] + "." + octets[1] + ".0.2" : "";
        return "user,id=" + NETDEV_ID + ",restrict=on" + network + ",guestfwd=tcp:" + guestAddress + ":"
                + guestPort + "-cmd:" + command.replace(",", ",,");
    }

    /**
     * Quotes a word with the shell's rules, which QEMU follows (through GLib's
     * {@code g_shell_parse_argv}, without a shell) when it splits the command into arguments.
     */
    private static String shellQuote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
