package io.metaservice.host.daemon;

/** A failed daemon operation, with the control API error code that describes it. */
public final class DaemonException extends Exception {

    private final ControlErrorCode code;

    public DaemonException(ControlErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public DaemonException(ControlErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ControlErrorCode code() {
        return code;
    }
}
