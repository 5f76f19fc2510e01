package io.metaservice.host.daemon;

import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import io.metaservice.host.daemon.control.ControlServer;
import io.metaservice.host.internal.Responses;
import io.metaservice.host.internal.Timers;
import io.metaservice.host.shell.HostShell;
import io.metaservice.protocol.Slugid;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multi-guest meta-data service of one host: many {@link MetaService}s behind one guest
 * server, each reached by its own {@link GuestRoute}, and the control API through which a
 * worker creates, watches and releases them.
 *
 * <p>A released guest's route responds with {@code 404} for
 * {@link DaemonConfig#releasedRetention()}. Then the daemon removes the guest: it closes the
 * route and deletes the guest's socket, log and temporary files.
 *
 * <p>Concurrency: one lock guards the guest table and serializes creation, release and
 * removal, including the connector changes they make. Host operations on a guest's service
 * run outside it.
 */
public final class Daemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final DaemonConfig config;
    private final Path guestsDirectory;
    private final GuestRouter router;
    private final GuestListeners listeners;
    private final ControlServer control;

    private final ReentrantLock lock = new ReentrantLock();
    /** Every guest not yet removed, in creation order. */
    private final Map<String, Guest> guests = new LinkedHashMap<>();
    private boolean closed;

    private Daemon(DaemonConfig config) {
        this.config = config;
        this.guestsDirectory = config.stateDirectory().resolve("guests");
        this.router = new GuestRouter(config.limits());
        this.listeners = new GuestListeners(config, router);
        this.control = new ControlServer(this, config);
    }

    /**
     * Starts the control API and the guest server.
     *
     * @throws IOException when the state folder is unsafe, or a listener cannot be bound
     */
    public static Daemon start(DaemonConfig config) throws Exception {
        StateDirectory.preparePrivate(config.stateDirectory());
        Daemon daemon = new Daemon(config);
        try {
            // The control listener goes first: a live daemon on the same socket stops this one
            // before it touches the guest folders.
            daemon.control.start();
            StateDirectory.deleteTree(daemon.guestsDirectory);
            StateDirectory.createPrivate(daemon.guestsDirectory);
            daemon.listeners.start(config.guestListener());
        } catch (Exception e) {
            daemon.close();
            throw e;
        }
        LOG.info("daemon started: control API on {}, state folder {}", daemon.controlEndpoint(),
                config.stateDirectory());
        return daemon;
    }

    public DaemonConfig config() {
        return config;
    }

    /** Returns where the control API listens, with the bound port when port 0 was asked for. */
    public ControlEndpoint controlEndpoint() {
        return control.endpoint();
    }

    /** Returns the shared guest listener's bound address, or null when there is none. */
    public InetSocketAddress guestListenerAddress() {
        return listeners.sharedAddress();
    }

    /**
     * Creates a guest and binds its route.
     *
     * @throws DaemonException {@code InvalidRequest} for an invalid route, {@code RouteConflict}
     *     when another guest has the route or its address is in use, {@code LimitExceeded} at
     *     the maximum of guests
     */
    public Guest createGuest(GuestSpec spec) throws DaemonException {
        RouteRequest route = RouteRequest.parse(spec.route(), listeners.sharedAddress() != null);
        String id = Slugid.v4();
        List<Guest> evicted = new ArrayList<>();
        Guest guest;
        lock.lock();
        try {
            requireOpen();
            makeRoom(route, evicted);
            guest = newGuest(id, spec);
            try {
                bind(guest, route);
            } catch (DaemonException | RuntimeException e) {
                discard(guest);
                throw e;
            }
            guests.put(id, guest);
        } finally {
            lock.unlock();
        }
        for (Guest old : evicted) {
            old.markRemoved();
        }
        LOG.info("guest {}: created, {} with {} arguments, environment names {}, attach {}", id,
                spec.command().get(0), spec.command().size() - 1, spec.env().keySet(), guest.attachment());
        return guest;
    }

    /**
     * Returns the guest with {@code id}.
     *
     * @throws DaemonException {@code GuestNotFound} when no guest has the id
     */
    public Guest guest(String id) throws DaemonException {
        lock.lock();
        try {
            Guest guest = guests.get(id);
            if (guest == null) {
                throw new DaemonException(ControlErrorCode.GUEST_NOT_FOUND, "no guest has the id "
                        + Responses.quote(id) + "; list the guests to see their ids");
            }
            return guest;
        } finally {
            lock.unlock();
        }
    }

    /** Returns every guest not yet removed, released ones included, in creation order. */
    public List<Guest> guests() {
        lock.lock();
        try {
            return List.copyOf(guests.values());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Releases a guest: its polls end, pending host operations fail, its shells are aborted,
     * readers of its log reach the end, and its route responds with {@code 404} until the
     * guest is removed. Releasing a released guest does nothing.
     */
    public Guest release(String id) throws DaemonException {
        Guest guest = guest(id);
        lock.lock();
        try {
            if (guest.isReleased()) {
                return guest;
            }
            guest.markReleased();
        } finally {
            lock.unlock();
        }
        guest.service().close();
        guest.log().finish();
        for (HostShell shell : guest.shells()) {
            shell.abort();
        }
        LOG.info("guest {}: released; removal in {} ms", id, config.releasedRetention().toMillis());
        if (config.releasedRetention().isZero()) {
            remove(guest);
        } else {
            Timers.SCHEDULER.schedule(() -> remove(guest), config.releasedRetention().toNanos(),
                    TimeUnit.NANOSECONDS);
        }
        return guest;
    }

    /** Returns the number of guest connections closed for slow request headers. */
    public long slowHeaderClosures() {
        return listeners.slowHeaderClosures();
    }

    /** Returns the open connections on all guest listeners, for leak checks. */
    public int guestConnections() {
        return listeners.connections();
    }

    /** Returns the threads of the guest and control servers, for leak checks. */
    public int serverThreads() {
        return listeners.threads() + control.threads();
    }

    /** Stops the control API, releases and removes every guest and stops the guest server. */
    @Override
    public void close() {
        List<Guest> all;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(guests.values());
        } finally {
            lock.unlock();
        }
        // Released first, so that host operations waiting on guests fail and free the
        // control threads before the control server stops.
        for (Guest guest : all) {
            guest.markReleased();
            guest.service().close();
            guest.log().finish();
            for (HostShell shell : guest.shells()) {
                shell.abort();
            }
        }
        control.close();
        for (Guest guest : all) {
            remove(guest);
        }
        try {
            listeners.close();
        } catch (Exception e) {
            LOG.warn("stopping the guest server failed: {}", e.toString());
        }
        try {
            StateDirectory.deleteTree(guestsDirectory);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", guestsDirectory, e.toString());
        }
        LOG.info("daemon stopped");
    }

    private void requireOpen() throws DaemonException {
        if (closed) {
            throw new DaemonException(ControlErrorCode.INTERNAL_ERROR, "the daemon is shutting down");
        }
    }

    /**
     * Checks the route and the guest count against the existing guests. Released guests in
     * the way are removed early, oldest first; active ones make the creation fail.
     */
    private void makeRoom(RouteRequest route, List<Guest> evicted) throws DaemonException {
        for (Guest other : List.copyOf(guests.values())) {
            String conflict = route.conflictWith(other.route());
            if (conflict == null) {
                continue;
            }
            if (!other.isReleased()) {
                throw new DaemonException(ControlErrorCode.ROUTE_CONFLICT, conflict + " of guest "
                        + other.id() + "; release that guest first or choose another route");
            }
            removeLocked(other);
            evicted.add(other);
        }
        for (Guest other : List.copyOf(guests.values())) {
            if (guests.size() < config.maxGuests()) {
                return;
            }
            if (other.isReleased()) {
                removeLocked(other);
                evicted.add(other);
            }
        }
        if (guests.size() >= config.maxGuests()) {
            throw new DaemonException(ControlErrorCode.LIMIT_EXCEEDED, "the daemon already has "
                    + config.maxGuests() + " guests, the maximum; release guests that are done");
        }
    }

    private Guest newGuest(String id, GuestSpec spec) throws DaemonException {
        GuestLimits limits = config.limits();
        Path directory = guestsDirectory.resolve(id);
        GuestLog log;
        try {
            StateDirectory.createPrivate(directory);
            StateDirectory.createPrivate(directory.resolve("tmp"));
            log = GuestLog.create(id, directory.resolve("log"), limits.maxLogBytes());
        } catch (IOException e) {
            deleteQuietly(directory);
            throw new DaemonException(ControlErrorCode.INTERNAL_ERROR,
                    "cannot create the files of a new guest in " + directory + ": " + e, e);
        }
        MetaServiceConfig serviceConfig = MetaServiceConfig.builder()
                .command(spec.command())
                .env(spec.env())
                .logSink(log)
                .temporaryDirectory(directory.resolve("tmp"))
                .pollTimeout(limits.pollTimeout())
                .deliveryTimeout(limits.deliveryTimeout())
                .replyStartTimeout(limits.replyStartTimeout())
                .replyIdleTimeout(limits.replyIdleTimeout())
                .maxArtifactBytes(limits.maxArtifactBytes())
                .listFolderBodyLimit(limits.listFolderBodyLimit())
                .shellTimeouts(limits.shellTimeouts())
                .maxParkedPolls(limits.maxParkedPolls())
                .maxPendingActions(limits.maxPendingActions())
                .maxTemporaryBytes(limits.maxTemporaryBytes())
                .maxLogRequests(limits.maxLogRequests())
                .build();
        MetaService service = new MetaService(id, serviceConfig);
        // The log of a guest ends, for its followers, with its result.
        service.result().thenRun(log::finish);
        return new Guest(id, spec, service, log, directory, limits);
    }

    private void bind(Guest guest, RouteRequest route) throws DaemonException {
        switch (route.kind()) {
            case SUBNET -> {
                InetSocketAddress shared = listeners.sharedAddress();
                guest.bind(new Guest.Route(null, route.subnet(), null,
                        Attachment.forSubnet(route.subnet(), Addresses.format(shared))));
                router.addSubnet(route.subnet(), guest);
            }
            case UNIX_SOCKET -> {
                Path socket = route.socket() != null ? route.socket() : guest.directory().resolve("socket");
                Connector connector = listeners.openUnix(guest, socket);
                guest.bind(new Guest.Route(connector, null, socket, Attachment.forUnixSocket(
                        socket.toString(), config.guestAddress(), config.guestPort())));
                router.addConnector(connector, guest);
            }
            case LOOPBACK_PORT -> {
                InetAddress host = route.loopback().getAddress();
                ServerConnector connector = listeners.openPort(guest, host, route.loopback().getPort());
                guest.bind(new Guest.Route(connector, null, null, Attachment.forLoopbackPort(
                        host.getHostAddress(), connector.getLocalPort(), config.guestAddress(),
                        config.guestPort())));
                router.addConnector(connector, guest);
            }
        }
    }

    private void remove(Guest guest) {
        lock.lock();
        try {
            if (guests.get(guest.id()) != guest) {
                return;
            }
            removeLocked(guest);
        } finally {
            lock.unlock();
        }
        guest.markRemoved();
        LOG.info("guest {}: removed", guest.id());
    }

    /** Unbinds the route and deletes the guest's files; the caller completes {@code removed}. */
    private void removeLocked(Guest guest) {
        guests.remove(guest.id());
        Guest.Route route = guest.route();
        if (route != null) {
            router.removeSubnet(guest);
            if (route.connector() != null) {
                router.removeConnector(route.connector());
                listeners.closeConnector(route.connector());
            }
            if (route.socket() != null) {
                deleteQuietly(route.socket());
            }
        }
        discard(guest);
    }

    private void discard(Guest guest) {
        guest.service().close();
        guest.log().close();
        deleteQuietly(guest.directory());
    }

    private static void deleteQuietly(Path path) {
        try {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                StateDirectory.deleteTree(path);
            } else {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", path, e.toString());
        }
    }
}
