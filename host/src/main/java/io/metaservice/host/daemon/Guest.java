package io.metaservice.host.daemon;

import io.metaservice.host.MetaService;
import io.metaservice.host.internal.Timers;
import io.metaservice.host.shell.HostShell;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Connector;

/**
 * One guest of a {@link Daemon}: its service, log, route and counters.
 *
 * <p>Concurrency: the final fields are set at creation; the flags are volatile and change
 * once; the counters are atomics. The daemon's lock decides creation, release and removal.
 */
public final class Guest {

    private final String id;
    private final GuestSpec spec;
    private final Instant created = Instant.now();
    private final MetaService service;
    private final GuestLog log;
    /** The guest's private folder, holding its log and its temporary files. */
    private final Path directory;
    private final int maxConnections;
    private final int maxShells;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong rejectedConnections = new AtomicLong();
    private final Set<HostShell> shells = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    private final CompletableFuture<Void> removed = new CompletableFuture<>();
    /** One-shot waiters for the result or the release, whichever comes first. */
    private final Set<Runnable> outcomeWaiters = ConcurrentHashMap.newKeySet();

    /** Set once the route is bound; null before. */
    private volatile Route route;
    /** Set when the guest first fetches its command. */
    private volatile boolean started;

    Guest(String id, GuestSpec spec, MetaService service, GuestLog log, Path directory,
            GuestLimits limits) {
        this.id = id;
        this.spec = spec;
        this.service = service;
        this.log = log;
        this.directory = directory;
        this.maxConnections = limits.maxConnections();
        this.maxShells = limits.maxShells();
        service.result().thenRun(this::fireOutcome);
    }

    public String id() {
        return id;
    }

    public GuestSpec spec() {
        return spec;
    }

    public Instant created() {
        return created;
    }

    public MetaService service() {
        return service;
    }

    public GuestLog log() {
        return log;
    }

    /** Returns how to attach a VM to this guest. */
    public Attachment attachment() {
        return route.attachment();
    }

    public GuestState state() {
        if (released.isDone()) {
            return GuestState.RELEASED;
        }
        CompletableFuture<Boolean> result = service.result();
        if (result.isDone()) {
            return result.join() ? GuestState.SUCCEEDED : GuestState.FAILED;
        }
        return started ? GuestState.RUNNING : GuestState.WAITING;
    }

    /** Returns true for success, false for failure, or null when no result was reported. */
    public Boolean result() {
        CompletableFuture<Boolean> result = service.result();
        return result.isDone() ? result.join() : null;
    }

    /**
     * Registers {@code waiter} to run once, on {@link Timers#CALLBACKS}, when the guest reports
     * its result or is released. Returns false, registering nothing, when either has happened.
     * Unlike a dependent of {@link #released()}, a waiter can be removed again, so repeated
     * waits that time out leave nothing behind.
     */
    public boolean awaitOutcome(Runnable waiter) {
        outcomeWaiters.add(waiter);
        if (service.result().isDone() || released.isDone()) {
            outcomeWaiters.remove(waiter);
            return false;
        }
        return true;
    }

    /** Removes a waiter that no longer needs to run. */
    public void removeOutcomeWaiter(Runnable waiter) {
        outcomeWaiters.remove(waiter);
    }

    /** Completes when the guest is released. */
    public CompletableFuture<Void> released() {
        return released;
    }

    /** Completes when the daemon has closed the guest's route and deleted its files. */
    public CompletableFuture<Void> removed() {
        return removed;
    }

    public boolean isReleased() {
        return released.isDone();
    }

    /** Returns the number of open connections from this guest. */
    public int connections() {
        return connections.get();
    }

    /** Returns the number of connections closed because the guest had too many open. */
    public long rejectedConnections() {
        return rejectedConnections.get();
    }

    /** Returns the shells opened through the control API that are still open. */
    public List<HostShell> shells() {
        return List.copyOf(shells);
    }

    Path directory() {
        return directory;
    }

    Route route() {
        return route;
    }

    void bind(Route bound) {
        route = bound;
    }

    void markStarted() {
        started = true;
    }

    /** Counts a new connection; returns false, counting nothing, when the maximum is reached. */
    boolean tryOpenConnection() {
        while (true) {
            int open = connections.get();
            if (open >= maxConnections) {
                rejectedConnections.incrementAndGet();
                return false;
            }
            if (connections.compareAndSet(open, open + 1)) {
                return true;
            }
        }
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }

    /**
     * Registers an open shell until it ends; returns false, registering nothing, when the
     * guest has its maximum of shells open.
     */
    public boolean addShell(HostShell shell) {
        synchronized (shells) {
            if (shells.size() >= maxShells) {
                return false;
            }
            shells.add(shell);
        }
        shell.result().whenComplete((result, failure) -> shells.remove(shell));
        return true;
    }

    void markReleased() {
        released.complete(null);
        fireOutcome();
    }

    void markRemoved() {
        removed.complete(null);
    }

    private void fireOutcome() {
        for (Runnable waiter : List.copyOf(outcomeWaiters)) {
            if (outcomeWaiters.remove(waiter)) {
                Timers.CALLBACKS.execute(waiter);
            }
        }
    }

    /**
     * The bound route: the guest's own connector for a unix-socket or loopback-port route, or
     * its subnet on the shared listener, with the attachment handed to the worker.
     */
    record Route(Connector connector, Subnet subnet, Path socket, Attachment attachment) {
    }
}
