package io.metaservice.host.internal;

import io.metaservice.host.HostOperationException;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ErrorCode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches host actions with guest polls, and replies with actions.
 *
 * <p>Each action goes to exactly one poll. An action waits up to the delivery time-out for a poll,
 * then up to the reply-start time-out for its reply; either deadline forgets it and fails its
 * outcome as retryable. An action whose poll response could not be written is queued again.
 * Polls wait without a thread until an action arrives or the poll time-out returns {@code none}.
 * The newest poll is served first, and a poll whose guest has closed the connection is dropped
 * rather than given an action. At most {@code maxParkedPolls} polls wait at once; a further poll
 * first drops the waiting polls whose connections are closed, and gets {@code 429} if none was.
 *
 * <p>Concurrency: one lock guards all state. Responses are written, and outcomes completed,
 * after the lock is released.
 */
public final class ActionBroker {

    private static final Logger LOG = LoggerFactory.getLogger(ActionBroker.class);

    private final String guestId;
    private final Duration pollTimeout;
    private final Duration deliveryTimeout;
    private final Duration replyStartTimeout;
    private final int maxParkedPolls;

    private final ReentrantLock lock = new ReentrantLock();
    /** Actions waiting for a poll, oldest first. */
    private final ArrayDeque<PendingAction> queued = new ArrayDeque<>();
    /** Polls waiting for an action, newest last. */
    private final ArrayDeque<ParkedPoll> parked = new ArrayDeque<>();
    /** Every action whose reply has not started, by id. */
    private final Map<String, PendingAction> byId = new HashMap<>();
    /** Set by {@link #stopPollers()}; polls then return {@code none} at once. */
    private boolean stopped;

    public ActionBroker(String guestId, Duration pollTimeout, Duration deliveryTimeout,
            Duration replyStartTimeout, int maxParkedPolls) {
        this.guestId = guestId;
        this.pollTimeout = pollTimeout;
        this.deliveryTimeout = deliveryTimeout;
        this.replyStartTimeout = replyStartTimeout;
        this.maxParkedPolls = maxParkedPolls;
    }

    /** Queues {@code action} for the next poll. Its outcome fails at once after {@link #stopPollers()}. */
    public void submit(PendingAction action) {
        lock.lock();
        try {
            if (stopped) {
                action.state = PendingAction.State.EXPIRED;
            } else {
                byId.put(action.id(), action);
                action.deliveryDeadlineNanos = System.nanoTime() + deliveryTimeout.toNanos();
                queued.addLast(action);
                action.timer = Timers.SCHEDULER.schedule(
                        () -> expire(action, "no poll took it within " + deliveryTimeout.toMillis() + " ms"),
                        deliveryTimeout.toNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
        if (action.state == PendingAction.State.EXPIRED) {
            action.outcome().completeExceptionally(new HostOperationException(
                    "polling has been stopped, so the guest cannot take the action", false));
            return;
        }
        LOG.debug("guest {}: queued {} action {}", guestId, action.action().type(), action.id());
        dispatch();
    }

    /**
     * Parks a poll until an action or the poll time-out arrives, or answers {@code 429
     * TooManyRequests} when {@code maxParkedPolls} polls of connected guests already wait.
     */
    public void poll(Request request, Response response, Callback callback) {
        ParkedPoll poll = new ParkedPoll(request, response, callback);
        Admission admission = admit(poll);
        if (admission == Admission.FULL && dropDisconnectedPolls() > 0) {
            admission = admit(poll);
        }
        switch (admission) {
            case STOPPED -> poll.respond(Action.none(), Callback.NOOP);
            case FULL -> {
                LOG.debug("guest {}: rejected a poll from {}: {} polls already wait",
                        guestId, poll.remoteAddress(), maxParkedPolls);
                response.getHeaders().put(HttpHeader.RETRY_AFTER, 1);
                Responses.error(response, callback, 429, ErrorCode.TOO_MANY_REQUESTS,
                        "the guest already has " + maxParkedPolls + " polls waiting, the maximum;"
                                + " poll again when one of them has returned");
            }
            case PARKED -> {
                request.addFailureListener(failure -> pollFailed(poll, failure));
                dispatch();
            }
        }
    }

    /**
     * Takes the action with {@code id} for its reply, so that no other request can use the id.
     * Returns null when the id is unknown, already taken, or timed out.
     */
    public PendingAction takeForReply(String id) {
        lock.lock();
        try {
            PendingAction action = byId.remove(id);
            if (action == null) {
                return null;
            }
            queued.remove(action);
            action.cancelTimer();
            action.state = PendingAction.State.REPLYING;
            return action;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Answers every waiting poll with {@code none}, makes later polls return at once, and fails
     * every action that has not been delivered. Used when the guest's work is over.
     */
    public void stopPollers() {
        List<ParkedPoll> polls;
        List<PendingAction> undelivered = new ArrayList<>();
        lock.lock();
        try {
            stopped = true;
            polls = new ArrayList<>(parked);
            parked.clear();
            for (ParkedPoll poll : polls) {
                poll.timeout.cancel(false);
            }
            for (PendingAction action : queued) {
                action.cancelTimer();
                action.state = PendingAction.State.EXPIRED;
                byId.remove(action.id());
                undelivered.add(action);
            }
            queued.clear();
        } finally {
            lock.unlock();
        }
        for (ParkedPoll poll : polls) {
            poll.respond(Action.none(), Callback.NOOP);
        }
        for (PendingAction action : undelivered) {
            action.outcome().completeExceptionally(new HostOperationException(
                    "polling was stopped before the guest took the action", false));
        }
    }

    /** Forgets an action whose caller stopped waiting, unless its reply has started. */
    public void cancel(PendingAction action) {
        if (forget(action)) {
            action.outcome().cancel(false);
        }
    }

    /** Returns the number of polls waiting for an action. */
    public int parkedPolls() {
        lock.lock();
        try {
            return parked.size();
        } finally {
            lock.unlock();
        }
    }

    private Admission admit(ParkedPoll poll) {
        lock.lock();
        try {
            if (stopped) {
                return Admission.STOPPED;
            }
            if (parked.size() >= maxParkedPolls) {
                return Admission.FULL;
            }
            parked.addLast(poll);
            poll.timeout = Timers.SCHEDULER.schedule(
                    () -> timeOut(poll), pollTimeout.toNanos(), TimeUnit.NANOSECONDS);
            return Admission.PARKED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops the parked polls whose guest has closed the connection, which Jetty does not notice
     * while a request waits, and returns how many were dropped. Connections are checked outside
     * the lock.
     */
    private int dropDisconnectedPolls() {
        List<ParkedPoll> waiting;
        lock.lock();
        try {
            waiting = new ArrayList<>(parked);
        } finally {
            lock.unlock();
        }
        List<ParkedPoll> dropped = new ArrayList<>();
        for (ParkedPoll poll : waiting) {
            if (poll.isClientConnected()) {
                continue;
            }
            lock.lock();
            try {
                if (parked.remove(poll)) {
                    poll.timeout.cancel(false);
                    dropped.add(poll);
                }
            } finally {
                lock.unlock();
            }
        }
        for (ParkedPoll poll : dropped) {
            LOG.debug("guest {}: dropped a poll from {} whose connection was closed",
                    guestId, poll.remoteAddress());
            poll.abandon();
        }
        return dropped.size();
    }

    /**
     * Hands queued actions to parked polls while both exist. A poll is checked for a closed
     * connection outside the lock, and the pair is taken only if both are still waiting.
     */
    private void dispatch() {
        while (true) {
            ParkedPoll poll;
            lock.lock();
            try {
                if (queued.isEmpty() || parked.isEmpty()) {
                    return;
                }
                poll = parked.peekLast();
            } finally {
                lock.unlock();
            }

            boolean connected = poll.isClientConnected();
            PendingAction action = null;
            lock.lock();
            try {
                if (!parked.contains(poll)) {
                    continue; // taken meanwhile by its time-out or a failure
                }
                if (connected) {
                    action = queued.pollFirst();
                    if (action == null) {
                        return; // taken meanwhile by its reply or a deadline
                    }
                    markSent(action);
                }
                parked.remove(poll);
                poll.timeout.cancel(false);
            } finally {
                lock.unlock();
            }

            if (action == null) {
                LOG.debug("guest {}: dropped a poll from {} whose connection was closed",
                        guestId, poll.remoteAddress());
                poll.abandon();
                continue;
            }
            send(poll, action);
        }
    }

    private void markSent(PendingAction action) {
        action.cancelTimer();
        action.state = PendingAction.State.SENT;
        action.timer = Timers.SCHEDULER.schedule(
                () -> expire(action, "the guest did not start its reply within "
                        + replyStartTimeout.toMillis() + " ms"),
                replyStartTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void send(ParkedPoll poll, PendingAction action) {
        LOG.debug("guest {}: sending {} action {} to poll from {}",
                guestId, action.action().type(), action.id(), poll.remoteAddress());
        poll.respond(action.action(), Callback.from(() -> { }, failure -> withdraw(action, failure)));
    }

    /** Queues an action again after its poll response could not be written. */
    private void withdraw(PendingAction action, Throwable failure) {
        long remainingNanos;
        lock.lock();
        try {
            if (action.state != PendingAction.State.SENT) {
                return; // the reply already started, or the action expired
            }
            action.cancelTimer();
            remainingNanos = action.deliveryDeadlineNanos - System.nanoTime();
            if (remainingNanos > 0) {
                action.state = PendingAction.State.QUEUED;
                queued.addFirst(action);
                action.timer = Timers.SCHEDULER.schedule(
                        () -> expire(action, "no poll took it within " + deliveryTimeout.toMillis() + " ms"),
                        remainingNanos, TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
        LOG.debug("guest {}: poll response for action {} failed ({}), queued again",
                guestId, action.id(), failure.toString());
        if (remainingNanos > 0) {
            dispatch();
        } else {
            expire(action, "its poll response could not be written: " + failure);
        }
    }

    private void expire(PendingAction action, String reason) {
        if (!forget(action)) {
            return;
        }
        LOG.info("guest {}: {} action {} timed out: {}", guestId, action.action().type(), action.id(), reason);
        action.outcome().completeExceptionally(new HostOperationException(
                action.action().type().wireName() + " action timed out: " + reason, true));
    }

    /**
     * Removes an action that is queued or sent, so that no poll or reply can take it any more.
     * Returns false when its reply has started or it was already forgotten.
     */
    private boolean forget(PendingAction action) {
        lock.lock();
        try {
            if (action.state != PendingAction.State.QUEUED && action.state != PendingAction.State.SENT) {
                return false;
            }
            action.cancelTimer();
            action.state = PendingAction.State.EXPIRED;
            queued.remove(action);
            byId.remove(action.id());
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void timeOut(ParkedPoll poll) {
        boolean waiting;
        lock.lock();
        try {
            waiting = parked.remove(poll);
        } finally {
            lock.unlock();
        }
        if (waiting) {
            poll.respond(Action.none(), Callback.NOOP);
        }
    }

    private void pollFailed(ParkedPoll poll, Throwable failure) {
        boolean waiting;
        lock.lock();
        try {
            waiting = parked.remove(poll);
            if (waiting) {
                poll.timeout.cancel(false);
            }
        } finally {
            lock.unlock();
        }
        if (waiting) {
            LOG.debug("guest {}: poll from {} failed: {}", guestId, poll.remoteAddress(), failure.toString());
            poll.abandon();
        }
    }

    /** The outcome of {@link #admit} for one poll. */
    private enum Admission {
        PARKED,
        /** Polling was stopped: answer {@code none} at once. */
        STOPPED,
        /** The maximum of parked polls is reached. */
        FULL
    }
}
