package io.metaservice.guest.internal;

import java.util.Optional;

/**
 * The task's process as seen by the task runner, the {@code kill-process} handler and the
 * agent's shutdown. A kill that arrives before the task starts stops it from starting.
 *
 * <p>Thread-safe: the object's monitor guards all fields, and the kill itself runs outside it.
 */
public final class TaskControl {

    private static final System.Logger LOG = System.getLogger(TaskControl.class.getName());

    /** The task's process id, or -1 before the task starts. Guarded by {@code this}. */
    private long pid = -1;
    /** The task's process while it was alive, or empty. Guarded by {@code this}. */
    private Optional<ProcessHandle> handle = Optional.empty();
    /** Set by the first {@link #kill()}. Guarded by {@code this}. */
    private boolean killRequested;

    /**
     * Records the started task process. Returns false if a kill was requested before, in which
     * case the caller kills the process itself with {@link #kill()}.
     */
    public synchronized boolean register(long processId) {
        pid = processId;
        handle = ProcessHandle.of(processId);
        return !killRequested;
    }

    /** Returns whether a kill was requested. */
    public synchronized boolean isKillRequested() {
        return killRequested;
    }

    /**
     * Kills the task's whole process tree, and stops a task that has not started yet from
     * starting. Safe to call at any time and more than once, and each call kills what it finds.
     */
    public void kill() {
        long target;
        Optional<ProcessHandle> root;
        synchronized (this) {
            killRequested = true;
            target = pid;
            root = handle;
        }
        if (target <= 0) {
            LOG.log(System.Logger.Level.DEBUG, "Kill requested before the task started");
            return;
        }
        int killed = ProcessTreeKiller.killTree(target, root);
        LOG.log(System.Logger.Level.INFO, "Killed the task''s process tree {0}: {1} processes",
                Long.toString(target), killed);
    }
}
