package io.metaservice.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Finds processes that a test started, directly or through the command under test, by a
 * marker in their command line, such as a unique sleep duration.
 */
final class Leftovers {

    /** Marker of guest agents that this build's commands started: they run this class path. */
    static final String AGENT_MARKER = System.getProperty("java.class.path");

    private Leftovers() {
    }

    /**
     * Waits up to {@code limit} for every process whose command line contains {@code marker}
     * to exit. Kills those still alive and returns them, so the caller can fail the test.
     */
    static List<ProcessHandle> awaitGone(String marker, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        List<ProcessHandle> killed = new ArrayList<>();
        for (ProcessHandle handle : matching(marker)) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                handle.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                handle.destroyForcibly();
                killed.add(handle);
            }
        }
        return killed;
    }

    /** Returns the living processes, other than this JVM, whose command line contains the marker. */
    static List<ProcessHandle> matching(String marker) {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(handle -> handle.pid() != self)
                .filter(handle -> handle.info().commandLine()
                        .map(line -> line.contains(marker)).orElse(false))
                .toList();
    }
}
