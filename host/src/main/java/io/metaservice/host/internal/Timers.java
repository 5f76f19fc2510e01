package io.metaservice.host.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shared threads of all services in the JVM: one timer thread for deadlines, whose tasks only
 * complete futures and start asynchronous writes, and a small pool that runs listener callbacks.
 */
public final class Timers {

    /** Deadline timer; tasks must not block. */
    public static final ScheduledExecutorService SCHEDULER = newScheduler();
    /** Runs result listeners and other user callbacks, away from Jetty's threads. */
    public static final ExecutorService CALLBACKS =
            Executors.newCachedThreadPool(daemonThreads("metaservice-callback"));

    private Timers() {
    }

    private static ScheduledExecutorService newScheduler() {
        ScheduledThreadPoolExecutor scheduler =
                new ScheduledThreadPoolExecutor(1, daemonThreads("metaservice-timer"));
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
