package io.metaservice.host.internal;

import io.metaservice.host.ResultListener;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task result: the first report wins, a repeat of it is accepted, the opposite report is a
 * conflict. The listener runs once, on {@link Timers#CALLBACKS}.
 */
public final class ResultLatch {

    private static final Logger LOG = LoggerFactory.getLogger(ResultLatch.class);

    private final String guestId;
    private final ResultListener listener;
    private final CompletableFuture<Boolean> result = new CompletableFuture<>();

    public ResultLatch(String guestId, ResultListener listener) {
        this.guestId = guestId;
        this.listener = listener;
    }

    /** Records a report. Returns false if the opposite result was reported first. */
    public boolean report(boolean success) {
        if (result.complete(success)) {
            LOG.info("guest {}: task reported {}", guestId, success ? "success" : "failure");
            Timers.CALLBACKS.execute(() -> {
                try {
                    listener.onResult(success);
                } catch (RuntimeException e) {
                    LOG.warn("guest {}: result listener failed", guestId, e);
                }
            });
            return true;
        }
        return result.join() == success;
    }

    public CompletableFuture<Boolean> future() {
        return result;
    }
}
