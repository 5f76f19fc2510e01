package io.metaservice.host.daemon;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * The path by which a guest's requests reach its service, chosen when the guest is created.
 * In JSON the {@code type} field names the kind: {@code subnet}, {@code unix-socket} or
 * {@code loopback-port}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = GuestRoute.SubnetRoute.class, name = GuestRoute.SUBNET),
    @JsonSubTypes.Type(value = GuestRoute.UnixSocketRoute.class, name = GuestRoute.UNIX_SOCKET),
    @JsonSubTypes.Type(value = GuestRoute.LoopbackPortRoute.class, name = GuestRoute.LOOPBACK_PORT)
})
public sealed interface GuestRoute {

    String SUBNET = "subnet";
    String UNIX_SOCKET = "unix-socket";
    String LOOPBACK_PORT = "loopback-port";

    /**
     * Requests on the daemon's shared guest listener whose source address lies in
     * {@code subnet}, such as {@code 192.168.150.0/24} for a VM on its own TAP network.
     */
    record SubnetRoute(String subnet) implements GuestRoute {
    }

    /**
     * Every connection on a Unix domain socket of the guest's own. {@code path} null lets the
     * daemon create the socket in its state folder.
     */
    @JsonPropertyOrder({"path"})
    record UnixSocketRoute(String path) implements GuestRoute {
    }

    /**
     * Every connection on a TCP port of the guest's own on a loopback address. {@code host}
     * null means {@code 127.0.0.1}; {@code port} 0 lets the daemon pick a free port.
     */
    @JsonPropertyOrder({"host", "port"})
    record LoopbackPortRoute(String host, int port) implements GuestRoute {
    }
}
