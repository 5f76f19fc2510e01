package io.metaservice.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The {@code code} values of an {@link ErrorBody}, spelled exactly as on the wire. */
public enum ErrorCode {
    METHOD_NOT_ALLOWED("MethodNotAllowed"),
    NO_SUCH_END_POINT("NoSuchEndPoint"),
    INTERNAL_ERROR("InternalError"),
    RESOURCE_CONFLICT("ResourceConflict"),
    UNKNOWN_ACTION_ID("UnknownActionId"),
    INVALID_PAYLOAD("InvalidPayload"),
    /** Extension: the guest exceeded a host limit, such as the number of parked polls. */
    TOO_MANY_REQUESTS("TooManyRequests"),
    /**
     * Extension: the host rejected the request as a matter of policy, for example a result or
     * reply that carries proxy forwarding headers.
     */
    FORBIDDEN("Forbidden");

    private final String wireName;

    ErrorCode(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the exact string used on the wire. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** Parses a wire name, returning {@code null} for a code this version does not know. */
    @JsonCreator
    public static ErrorCode fromWireName(String wireName) {
        for (ErrorCode code : values()) {
            if (code.wireName.equals(wireName)) {
                return code;
            }
        }
        return null;
    }
}
