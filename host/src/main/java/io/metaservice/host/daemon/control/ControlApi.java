package io.metaservice.host.daemon.control;

import java.time.Duration;

/** Paths, parameters and limits of the control API, shared by the server and its clients. */
public final class ControlApi {

    public static final String DAEMON_PATH = "/v1/daemon";
    public static final String GUESTS_PATH = "/v1/guests";

    /** Sub-resources of {@code /v1/guests/{id}}. */
    public static final String LOG = "log";
    public static final String RESULT = "result";
    public static final String FILES = "files";
    public static final String FILE = "file";
    public static final String ARCHIVE = "archive";
    public static final String SHELL = "shell";
    public static final String KILL = "kill";
    public static final String RELEASE = "release";

    /** Query parameter: the guest path of a file or folder. */
    public static final String PATH_PARAMETER = "path";
    /** Query parameter of {@link #LOG}: {@code true} to keep streaming until the result. */
    public static final String FOLLOW_PARAMETER = "follow";
    /** Query parameter of {@link #RESULT}: seconds to wait for the result. */
    public static final String TIMEOUT_PARAMETER = "timeout";
    /** Query parameter of {@link #SHELL}: {@code true} for a pseudo-terminal. */
    public static final String TTY_PARAMETER = "tty";
    /** Query parameter of {@link #SHELL}, repeated: the command and its arguments. */
    public static final String COMMAND_PARAMETER = "command";

    /** The result wait when no time-out is given. */
    public static final Duration DEFAULT_RESULT_WAIT = Duration.ofSeconds(30);
    /** Maximum result wait that a client may request. */
    public static final Duration MAX_RESULT_WAIT = Duration.ofSeconds(60);
    /** Largest request body accepted, in bytes. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    /** Value of the {@code result} field for a task that succeeded. */
    public static final String SUCCESS = "success";
    /** Value of the {@code result} field for a task that failed. */
    public static final String FAILURE = "failure";

    private ControlApi() {
    }

    /** Returns the path of a guest, or of one of its sub-resources when {@code resource} is not null. */
    public static String guestPath(String guestId, String resource) {
        return GUESTS_PATH + "/" + guestId + (resource == null ? "" : "/" + resource);
    }
}
