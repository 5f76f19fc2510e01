package io.metaservice.host.internal;

import io.metaservice.protocol.ErrorCode;

/** An error outcome of a request: HTTP status, error code and a message for the guest. */
public final class HttpError extends Exception {

    private final int status;
    private final ErrorCode code;

    public HttpError(int status, ErrorCode code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public ErrorCode code() {
        return code;
    }
}
