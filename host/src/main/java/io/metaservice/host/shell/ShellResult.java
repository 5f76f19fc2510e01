package io.metaservice.host.shell;

/** How a shell ended, when its connection lasted to the end. */
public enum ShellResult {
    /** The shell's process exited with status 0. */
    SUCCESS,
    /** The shell's process exited with another status, or could not be started. */
    FAILURE,
    /** The host aborted the shell; never counted as a success. */
    ABORTED
}
