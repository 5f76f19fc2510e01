package io.metaservice.guest;

/** Time-outs of the guest tests, in one place so that slow machines need one change. */
public final class TestTimeouts {

    /** Waits for a process to start, print or exit. */
    public static final long PROCESS_SECONDS = 20;
    /** Waits for a task to finish and report its result end to end. */
    public static final long TASK_SECONDS = 60;

    private TestTimeouts() {
    }
}
