package io.metaservice.guest.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Kills a process tree: the root process, every descendant, and on Linux every process of the
 * root's process group and session, which also finds orphans that were re-parented to init.
 *
 * <p>The kill runs in two phases. First every member is stopped with SIGSTOP, repeating the
 * search until it finds no new member, so no member can fork while the tree is being killed.
 * Then every member gets SIGKILL, and the search repeats until no living member is left or
 * {@link #MAX_ROUNDS} rounds have passed. The agent's own process, its ancestors, and the
 * group or session that the agent itself belongs to are never signalled.
 *
 * <p>Stateless and thread-safe.
 */
public final class ProcessTreeKiller {

    private static final System.Logger LOG = System.getLogger(ProcessTreeKiller.class.getName());

    /** Rounds of each phase before the kill gives up on members that keep appearing. */
    static final int MAX_ROUNDS = 20;
    private static final long ROUND_PAUSE_MILLIS = 10;

    private ProcessTreeKiller() {
    }

    /** Kills the tree of a process that is still known to the JDK. */
    public static int killTree(ProcessHandle root) {
        return killTree(root.pid(), Optional.of(root));
    }

    /**
     * Kills the tree rooted at {@code rootPid} and returns how many processes were signalled.
     * The root may already have exited, so that only its session and group are left to kill.
     *
     * <p>{@code root} is the handle taken while the root was alive, or empty if it exited
     * before a handle was taken. If another process now has the root's id, the id was reused
     * and nothing is killed. Linux does not reuse an id while a session or group of that id
     * still has members, so an orphan of the task cannot be missed this way.
     *
     * @throws IllegalArgumentException if {@code rootPid} is the agent or one of its ancestors
     */
    public static int killTree(long rootPid, Optional<ProcessHandle> root) {
        Optional<ProcessHandle> current = ProcessHandle.of(rootPid);
        if (current.isPresent() && (root.isEmpty() || !current.get().equals(root.get()))) {
            LOG.log(System.Logger.Level.DEBUG,
                    "Process {0} exited and its id was reused, nothing to kill",
                    Long.toString(rootPid));
            return 0;
        }
        Set<Long> untouchable = untouchablePids();
        if (untouchable.contains(rootPid)) {
            throw new IllegalArgumentException(
                    "refusing to kill process " + rootPid + ": it is the agent or its ancestor");
        }
        Optional<ProcStat> self = ProcStat.read(ProcessHandle.current().pid());
        boolean scanGroup = self.map(stat -> stat.processGroup() != rootPid).orElse(false);
        boolean scanSession = self.map(stat -> stat.session() != rootPid).orElse(false);
        Scope scope = new Scope(rootPid, untouchable, scanGroup, scanSession);

        Set<Long> stopped = new LinkedHashSet<>();
        try {
            stopAll(scope, stopped);
        } finally {
            // A stopped process that never gets SIGKILL would stay frozen forever.
            for (long pid : stopped) {
                Signals.send(pid, Signals.SIGKILL);
            }
        }
        int signalled = stopped.size();
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Set<Long> alive = scope.livingMembers(stopped);
            if (alive.isEmpty()) {
                LOG.log(System.Logger.Level.DEBUG, "Killed process tree {0}: {1} processes",
                        Long.toString(rootPid), signalled);
                return signalled;
            }
            for (long pid : alive) {
                Signals.send(pid, Signals.SIGKILL);
            }
            stopped.addAll(alive);
            signalled = stopped.size();
            pause();
        }
        LOG.log(System.Logger.Level.WARNING,
                "Process tree {0} still has living processes after {1} kill rounds: {2}",
                Long.toString(rootPid), MAX_ROUNDS, scope.livingMembers(stopped));
        return signalled;
    }

    /** Stops every member of the tree, searching again until no new member appears. */
    private static void stopAll(Scope scope, Set<Long> stopped) {
        if (!Signals.canStop()) {
            return;
        }
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Set<Long> fresh = scope.livingMembers(stopped);
            fresh.removeAll(stopped);
            if (fresh.isEmpty()) {
                break;
            }
            for (long pid : fresh) {
                Signals.send(pid, Signals.SIGSTOP);
            }
            stopped.addAll(fresh);
        }
    }

    private static Set<Long> untouchablePids() {
        Set<Long> pids = new HashSet<>();
        Optional<ProcessHandle> current = Optional.of(ProcessHandle.current());
        while (current.isPresent()) {
            pids.add(current.get().pid());
            current = current.get().parent();
        }
        pids.add(0L);
        pids.add(1L);
        return pids;
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(ROUND_PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The processes that belong to one tree, found again on each call. */
    private record Scope(long rootPid, Set<Long> untouchable, boolean scanGroup,
            boolean scanSession) {

        /**
         * Returns the living members: the root, the descendants of the root and of every
         * {@code known} process, and the processes of the root's group and session.
         */
        Set<Long> livingMembers(Set<Long> known) {
            Set<Long> members = new LinkedHashSet<>();
            addWithDescendants(rootPid, members);
            for (long pid : known) {
                addWithDescendants(pid, members);
            }
            if (scanGroup || scanSession) {
                ProcessHandle.allProcesses().forEach(handle -> {
                    Optional<ProcStat> stat = ProcStat.read(handle.pid());
                    if (stat.isPresent() && isInScope(stat.get())) {
                        members.add(handle.pid());
                    }
                });
            }
            members.removeAll(untouchable);
            members.removeIf(pid -> !ProcStat.isLiving(pid));
            return members;
        }

        private boolean isInScope(ProcStat stat) {
            return (scanGroup && stat.processGroup() == rootPid)
                    || (scanSession && stat.session() == rootPid);
        }

        private static void addWithDescendants(long pid, Set<Long> members) {
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isEmpty()) {
                return;
            }
            members.add(pid);
            handle.get().descendants().forEach(child -> members.add(child.pid()));
        }
    }

    /**
     * The fields of {@code /proc/PID/stat} that the kill needs. Only Linux has this file, so
     * elsewhere {@link #read} returns empty and the kill covers the root and its descendants.
     */
    record ProcStat(char state, long parentPid, long processGroup, long session) {

        static Optional<ProcStat> read(long pid) {
            String text;
            try {
                text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"),
                        StandardCharsets.ISO_8859_1);
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
            // The command name is in parentheses and may itself contain spaces and ')'.
            int end = text.lastIndexOf(')');
            if (end < 0 || end + 2 >= text.length()) {
                return Optional.empty();
            }
            String[] fields = text.substring(end + 2).split(" ");
            if (fields.length < 4 || fields[0].isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new ProcStat(fields[0].charAt(0), Long.parseLong(fields[1]),
                        Long.parseLong(fields[2]), Long.parseLong(fields[3])));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        /** Returns whether the process exists and is neither a zombie nor dead. */
        static boolean isLiving(long pid) {
            Optional<ProcStat> stat = read(pid);
            if (stat.isPresent()) {
                char state = stat.get().state();
                return state != 'Z' && state != 'X' && state != 'x';
            }
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }
}
