package io.metaservice.protocol;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The body of every error response. {@code code} is {@code null} for an unknown code. */
@JsonPropertyOrder({"code", "message"})
public record ErrorBody(ErrorCode code, String message) {
}
