package io.metaservice.vm;

import io.metaservice.protocol.Protocol;

/**
 * The guest's side of QEMU's user-mode network. The network is the link-local range, so that
 * the meta-data address {@value Protocol#DEFAULT_HOST} lies inside it and QEMU's forward for that
 * address and port is the only thing the guest reaches; {@code restrict=on} drops everything
 * else.
 */
public final class GuestNetwork {

    /** The virtual network, as QEMU's {@code net=} option takes it. */
    public static final String NETWORK = "169.254.0.0/16";
    /** QEMU's virtual gateway, which is also where the forward listens. */
    public static final String GATEWAY = "169.254.0.2";
    /** The guest's static address with its prefix length; the same as QEMU's first DHCP address. */
    public static final String GUEST_ADDRESS = "169.254.0.15/16";
    /** The guest's virtio-net interface. */
    public static final String INTERFACE = "eth0";

    private GuestNetwork() {
    }
}
