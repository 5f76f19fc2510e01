package io.metaservice.vm.internal;

import io.metaservice.vm.HostTools;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a command in a new network namespace that has only its own loopback interface, so that
 * nothing the command opens can reach a real network. The loopback interface is brought up,
 * because QEMU's user-mode stack makes its internal socket pairs over loopback TCP.
 */
public final class NetworkNamespace {

    private static final Logger LOG = LoggerFactory.getLogger(NetworkNamespace.class);

    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);
    /** Brings loopback up inside the namespace, then becomes the wrapped command. */
    private static final String SCRIPT = "ip link set lo up && exec \"$@\"";

    /** The prefix found by the first check in this JVM; empty when no namespace works. */
    private static volatile Optional<List<String>> cachedPrefix;

    private NetworkNamespace() {
    }

    /**
     * Returns the arguments that run a command in a new network namespace, followed by the
     * command, or empty when this host does not allow one: {@code unshare --net} as root,
     * {@code unshare --user --map-root-user --net} otherwise. The check runs once per JVM.
     */
    public static Optional<List<String>> prefix() throws InterruptedException {
        Optional<List<String>> prefix = cachedPrefix;
        if (prefix == null) {
            prefix = check();
            cachedPrefix = prefix;
        }
        return prefix;
    }

    private static Optional<List<String>> check() throws InterruptedException {
        Optional<Path> unshare = HostTools.find(HostTools.UNSHARE);
        Optional<Path> ip = HostTools.find("ip");
        if (unshare.isEmpty() || ip.isEmpty()) {
            LOG.info("no network namespace: {} is missing", unshare.isEmpty() ? "unshare (util-linux)"
                    : "ip (iproute2)");
            return Optional.empty();
        }
        List<List<String>> candidates = List.of(
                List.of(unshare.get().toString(), "--net", "--"),
                List.of(unshare.get().toString(), "--user", "--map-root-user", "--net", "--"));
        for (List<String> candidate : candidates) {
            List<String> prefix = new ArrayList<>(candidate);
            prefix.addAll(List.of("/bin/sh", "-c", SCRIPT, "metaservice-netns"));
            List<String> probe = new ArrayList<>(prefix);
            probe.add("true");
            try {
                Commands.Output output = Commands.run(probe, null, CHECK_TIMEOUT);
                if (output.status() == 0) {
                    LOG.debug("network namespaces work with {}", candidate);
                    return Optional.of(List.copyOf(prefix));
                }
                LOG.debug("{} failed: {}", candidate, output.text().strip());
            } catch (IOException e) {
                LOG.debug("{} failed: {}", candidate, e.getMessage());
            }
        }
        LOG.info("no network namespace: this host allows neither unshare --net nor unshare --user --net");
        return Optional.empty();
    }
}
