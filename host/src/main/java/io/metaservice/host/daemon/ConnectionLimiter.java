package io.metaservice.host.daemon;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.jetty.io.SelectorManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the open connections of each guest on one connector. It counts accepted sockets, not
 * Jetty connections, so a connection upgraded to a websocket stays counted. A socket beyond
 * the guest's maximum is closed as soon as it is accepted. Sockets from sources that map to no
 * guest share one bucket with the same maximum, so they cannot crowd out mapped guests.
 *
 * <p>Concurrency: the counters are atomics and the map of counted sockets is concurrent.
 */
final class ConnectionLimiter implements SelectorManager.AcceptListener {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final String listener;
    /** Maps a socket's remote address to its guest, or to null for an unmapped source. */
    private final Function<SocketAddress, Guest> resolver;
    private final int maxUnmapped;
    private final AtomicInteger unmapped = new AtomicInteger();
    private final AtomicLong rejectedUnmapped = new AtomicLong();
    /** Counted sockets and their guest; {@link #UNMAPPED} marks an unmapped one. */
    private final Map<SelectableChannel, Object> counted = new ConcurrentHashMap<>();

    private static final Object UNMAPPED = new Object();

    ConnectionLimiter(String listener, Function<SocketAddress, Guest> resolver, int maxUnmapped) {
        this.listener = listener;
        this.resolver = resolver;
        this.maxUnmapped = maxUnmapped;
    }

    @Override
    public void onAccepted(SelectableChannel channel) {
        SocketAddress remote = remoteAddress(channel);
        Guest guest = remote == null ? null : resolver.apply(remote);
        boolean admitted;
        if (guest != null) {
            admitted = guest.tryOpenConnection();
            if (admitted) {
                counted.put(channel, guest);
            }
        } else {
            admitted = tryOpenUnmapped();
            if (admitted) {
                counted.put(channel, UNMAPPED);
            }
        }
        if (!admitted) {
            long rejected = guest != null ? guest.rejectedConnections() : rejectedUnmapped.get();
            // Log the first rejection and then every 100th, so a flood cannot flood the log.
            if (rejected % 100 == 1) {
                LOG.warn("{}: closed a connection from {} ({}): the maximum of open connections is"
                                + " reached; {} rejected so far", listener, remote,
                        guest != null ? "guest " + guest.id() : "no guest", rejected);
            }
            close(channel);
        }
    }

    @Override
    public void onClosed(SelectableChannel channel) {
        Object owner = counted.remove(channel);
        if (owner instanceof Guest guest) {
            guest.connectionClosed();
        } else if (owner == UNMAPPED) {
            unmapped.decrementAndGet();
        }
    }

    private boolean tryOpenUnmapped() {
        while (true) {
            int open = unmapped.get();
            if (open >= maxUnmapped) {
                rejectedUnmapped.incrementAndGet();
                return false;
            }
            if (unmapped.compareAndSet(open, open + 1)) {
                return true;
            }
        }
    }

    private static SocketAddress remoteAddress(SelectableChannel channel) {
        try {
            return channel instanceof SocketChannel socket ? socket.getRemoteAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void close(SelectableChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing a rejected connection failed: {}", e.toString());
        }
    }
}
