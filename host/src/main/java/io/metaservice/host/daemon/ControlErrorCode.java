package io.metaservice.host.daemon;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The {@code code} values of control API error bodies, with the HTTP status that each one
 * travels with.
 */
public enum ControlErrorCode {
    /** The request is malformed: a missing or invalid parameter or body. */
    INVALID_REQUEST("InvalidRequest", 400),
    /** The bearer token is missing or wrong. */
    UNAUTHORIZED("Unauthorized", 401),
    /** No control end-point has this path. */
    NO_SUCH_END_POINT("NoSuchEndPoint", 404),
    METHOD_NOT_ALLOWED("MethodNotAllowed", 405),
    /** No guest has this id, or the daemon has forgotten it after its release. */
    GUEST_NOT_FOUND("GuestNotFound", 404),
    /** The guest reported that the requested file or folder does not exist. */
    RESOURCE_NOT_FOUND("ResourceNotFound", 404),
    /** The guest has been released, so the operation is no longer possible. */
    GUEST_RELEASED("GuestReleased", 409),
    /** The route is taken by another guest, or its address or socket is in use. */
    ROUTE_CONFLICT("RouteConflict", 409),
    /** A daemon or guest limit is reached, such as the number of guests or of shells. */
    LIMIT_EXCEEDED("LimitExceeded", 429),
    /** The guest did something the daemon does not accept, such as listing an unsafe path. */
    UNSAFE_PATH("UnsafePath", 502),
    /** The guest replied, but the operation failed; the message gives the reason. */
    GUEST_OPERATION_FAILED("GuestOperationFailed", 502),
    /** The guest did not take or reply to the action in time, in every attempt. */
    GUEST_UNAVAILABLE("GuestUnavailable", 504),
    INTERNAL_ERROR("InternalError", 500);

    private final String wireName;
    private final int status;

    ControlErrorCode(String wireName, int status) {
        this.wireName = wireName;
        this.status = status;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** Returns the HTTP status of responses with this code. */
    public int status() {
        return status;
    }
}
