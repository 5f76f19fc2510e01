package io.metaservice.host.daemon.control;

import io.metaservice.host.daemon.Guest;
import io.metaservice.host.internal.Responses;
import io.metaservice.host.internal.Timers;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A long poll for a guest's result: responds with {@link ControlBodies.ResultInfo} as soon as
 * the guest reports or is released, or when the wait ends, whichever comes first. No thread
 * waits for it.
 */
final class ResultWait implements Runnable {

    private final Guest guest;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean answered = new AtomicBoolean();
    /** The end of the wait; null for the moment between scheduling and assignment. */
    private volatile ScheduledFuture<?> deadline;

    private ResultWait(Guest guest, Response response, Callback callback) {
        this.guest = guest;
        this.response = response;
        this.callback = callback;
    }

    /** Starts waiting up to {@code waitMillis}; 0 responds at once. */
    static void start(Guest guest, long waitMillis, Response response, Callback callback) {
        ResultWait wait = new ResultWait(guest, response, callback);
        wait.deadline = Timers.SCHEDULER.schedule(wait, waitMillis, TimeUnit.MILLISECONDS);
        if (!guest.awaitOutcome(wait)) {
            wait.run();
        }
    }

    /** Responds once, on the outcome or the deadline, whichever comes first. */
    @Override
    public void run() {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        ScheduledFuture<?> timer = deadline;
        if (timer != null) {
            timer.cancel(false);
        }
        guest.removeOutcomeWaiter(this);
        Responses.json(response, callback, 200, ControlBodies.ResultInfo.of(guest));
    }
}
