package io.metaservice.guest.internal;

import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Polls {@code GET /engine/v1/poll} in a loop on the thread {@code metaservice-guest-poll}
 * and hands each action to an {@link ActionHandler} on the executor
 * {@code metaservice-guest-action-N}, so a slow reply never stops the polling.
 *
 * <p>A failed poll is retried after {@link Protocol#GUEST_POLL_RETRY_PAUSE}. So is a
 * {@code none} that arrives within {@link #EARLY_NONE}: a host that has stopped its pollers
 * returns {@code none} at once, and polling again right away would spin. At most
 * {@link #MAX_CONCURRENT_ACTIONS} actions run at once. An action beyond that is dropped and
 * logged, and the host retries it when its reply does not start in time. {@code exec-shell}
 * actions go to the shell starter instead, which runs each shell on a thread of its own.
 *
 * <p>Threading: {@link #start} and {@link #close} may be called from any thread, and
 * {@link #closed} is volatile.
 */
public final class PollLoop implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PollLoop.class.getName());

    static final int MAX_CONCURRENT_ACTIONS = 16;
    /** A {@code none} sooner than this after the request did not wait for an action. */
    static final Duration EARLY_NONE = Duration.ofMillis(100);
    private static final long CLOSE_WAIT_MILLIS = 5000;

    private final GuestClient client;
    private final ActionHandler handler;
    private final Consumer<Action> shells;
    private final ThreadPoolExecutor actions;
    private final Thread thread;

    private volatile boolean closed;

    /** Creates a loop that hands {@code exec-shell} actions to {@code shells}, which returns at once. */
    public PollLoop(GuestClient client, ActionHandler handler, Consumer<Action> shells) {
        this.client = client;
        this.handler = handler;
        this.shells = shells;
        this.actions = new ThreadPoolExecutor(0, MAX_CONCURRENT_ACTIONS, 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), namedDaemonThreads("metaservice-guest-action-"));
        this.thread = new Thread(this::run, "metaservice-guest-poll");
        this.thread.setDaemon(true);
    }

    /** Starts polling. */
    public void start() {
        LOG.log(System.Logger.Level.INFO, "Polling {0} for actions", client.base());
        thread.start();
    }

    /** Stops polling and interrupts the action handlers, waiting a few seconds for them. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        actions.shutdownNow();
        try {
            thread.join(CLOSE_WAIT_MILLIS);
            if (!actions.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "Action handlers still running after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(System.Logger.Level.INFO, "Polling stopped");
    }

    private void run() {
        int failures = 0;
        while (!closed) {
            Action action;
            long started = System.nanoTime();
            try {
                action = client.poll();
            } catch (InterruptedException e) {
                break;
            } catch (IOException e) {
                failures++;
                logPollFailure(failures, e);
                if (!pause()) {
                    break;
                }
                continue;
            }
            if (failures > 0) {
                LOG.log(System.Logger.Level.INFO, "Polling works again after {0} failures",
                        failures);
                failures = 0;
            }
            dispatch(action);
            boolean early = System.nanoTime() - started < EARLY_NONE.toNanos();
            if (action.type() == ActionType.NONE && early && !pause()) {
                break;
            }
        }
    }

    private void dispatch(Action action) {
        if (action.type() == null) {
            LOG.log(System.Logger.Level.WARNING, "Action {0} has an unknown type, ignored",
                    action.id());
            return;
        }
        switch (action.type()) {
            case NONE:
                return;
            case EXEC_SHELL:
                shells.accept(action);
                return;
            default:
                break;
        }
        try {
            actions.execute(() -> handler.handle(action));
        } catch (RejectedExecutionException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "Action {0} dropped: {1} actions are"
                        + " already running", action.id(), MAX_CONCURRENT_ACTIONS);
            }
        }
    }

    /** Logs the first failure in a row as a warning and the repeats at debug level. */
    private void logPollFailure(int failures, IOException error) {
        System.Logger.Level level =
                failures == 1 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
        LOG.log(level, "Poll failed ({0} in a row), retrying in {1} ms: {2}", failures,
                Long.toString(Protocol.GUEST_POLL_RETRY_PAUSE.toMillis()), error.toString());
    }

    /** Pauses before the next poll. Returns false if the loop was closed meanwhile. */
    private boolean pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(Protocol.GUEST_POLL_RETRY_PAUSE.toMillis());
            return !closed;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static ThreadFactory namedDaemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
