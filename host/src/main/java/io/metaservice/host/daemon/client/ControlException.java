package io.metaservice.host.daemon.client;

import io.metaservice.host.daemon.ControlErrorCode;

/**
 * A control API request that failed: the daemon's error code and message, or a transport
 * failure such as a daemon that is not running, with a null code and status 0.
 */
public final class ControlException extends Exception {

    private final int status;
    private final ControlErrorCode code;

    public ControlException(int status, ControlErrorCode code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public ControlException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.code = null;
    }

    /** Returns the HTTP status, or 0 when no response arrived. */
    public int status() {
        return status;
    }

    /** Returns the daemon's error code, or null when there is none or it is unknown. */
    public ControlErrorCode code() {
        return code;
    }
}
