package io.metaservice.guest.internal;

/** Thrown when the task cannot be started. The message is written into the task's log. */
public final class TaskStartException extends Exception {

    public TaskStartException(String message) {
        super(message);
    }

    public TaskStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
