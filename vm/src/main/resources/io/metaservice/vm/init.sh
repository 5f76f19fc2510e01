#!/bin/busybox sh
# Init of a metaservice guest image. It mounts the kernel's file systems, loads the network
# driver, takes the address that QEMU's user-mode network routes, and starts the agent. The host
# powers the machine off when it is done; if the agent exits first, init powers off itself.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
export TERM=linux
export LANG=C.UTF-8

log() {
    echo "metaservice-init: $* (uptime $(cut -d' ' -f1 /proc/uptime) s)"
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
hostname metaservice-guest
log "started"

# Each line names a module; the image builder wrote them in dependency order.
while read -r module; do
    if [ -n "$module" ] && ! insmod "/lib/modules/metaservice/$module.ko"; then
        log "cannot load kernel module $module"
    fi
done < /etc/metaservice/modules

# GUEST_ADDRESS, GATEWAY and INTERFACE come from the image builder.
. /etc/metaservice/network
tries=0
while [ ! -e "/sys/class/net/$INTERFACE" ] && [ "$tries" -lt 100 ]; do
    sleep 0.05
    tries=$((tries + 1))
done
if [ ! -e "/sys/class/net/$INTERFACE" ]; then
    log "no network interface $INTERFACE: the virtio-net driver did not load; powering off"
    poweroff -f
fi
ip link set lo up
ip link set "$INTERFACE" up
ip addr add "$GUEST_ADDRESS" dev "$INTERFACE"
ip route add default via "$GATEWAY"
log "network up: $GUEST_ADDRESS via $GATEWAY"

mkdir -p /work
cd /opt/metaservice || poweroff -f
/opt/java/bin/java @/opt/metaservice/agent.args
log "the agent exited with status $?; powering off"
poweroff -f
