package io.metaservice.cli.internal;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts the thread that runs a job when its time is up. The job calls {@link #finish()}
 * before it cleans up, which returns whether the deadline struck first and guarantees that no
 * interrupt arrives afterwards.
 *
 * <p>{@code this} guards {@link #state}; the interrupt is sent while holding it, so it cannot
 * land after {@link #finish()} has returned.
 */
public final class RunDeadline {

    private enum State { RUNNING, FINISHED, EXPIRED }

    /** The timer thread, or null for a job without a deadline. */
    private final ScheduledExecutorService timer;
    private final Thread runner;
    private State state = State.RUNNING;

    private RunDeadline(Thread runner, Duration limit) {
        this.runner = runner;
        if (limit == null) {
            this.timer = null;
            return;
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "metaservice-run-deadline");
            thread.setDaemon(true);
            return thread;
        });
        timer.schedule(this::expire, limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Starts a deadline that interrupts the calling thread after {@code limit}; a null limit
     * never strikes.
     */
    public static RunDeadline start(Duration limit) {
        return new RunDeadline(Thread.currentThread(), limit);
    }

    /**
     * Ends the deadline and, when it struck, clears the interrupt status that it set. Call it
     * from the thread that started the deadline. Returns true when the deadline struck first.
     */
    public synchronized boolean finish() {
        if (state == State.RUNNING) {
            state = State.FINISHED;
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        if (state == State.EXPIRED) {
            Thread.interrupted();
            return true;
        }
        return false;
    }

    /** Returns whether the deadline has struck. */
    public synchronized boolean expired() {
        return state == State.EXPIRED;
    }

    private synchronized void expire() {
        if (state == State.RUNNING) {
            state = State.EXPIRED;
            runner.interrupt();
        }
    }
}
