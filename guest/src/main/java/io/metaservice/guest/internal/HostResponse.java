package io.metaservice.guest.internal;

import io.metaservice.protocol.ErrorBody;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The status and body of one response from the host, for the agent's checks and logs. */
public record HostResponse(int status, byte[] body) {

    /** The maximum number of characters of an unparsed body that {@link #describe()} quotes. */
    private static final int QUOTED_BODY_CHARS = 200;

    /** Returns whether the host responded with {@code 200 OK}. */
    public boolean isOk() {
        return status == 200;
    }

    /**
     * Returns the error body of a failed response, or {@code null} when the body is not a
     * JSON error body.
     */
    public ErrorBody errorBody() {
        if (body.length == 0) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(body, ErrorBody.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** Describes the response for a log line or exception, with the body bounded. */
    public String describe() {
        ErrorBody error = errorBody();
        if (error != null && error.code() != null) {
            return "status " + status + " " + error.code().wireName() + ": "
                    + bounded(error.message());
        }
        if (body.length == 0) {
            return "status " + status;
        }
        return "status " + status + ": " + bounded(new String(body, StandardCharsets.UTF_8));
    }

    /** Throws unless the host responded with {@code 200 OK}. {@code request} names the request. */
    public void requireOk(String request) throws IOException {
        if (!isOk()) {
            throw new IOException(request + " failed with " + describe());
        }
    }

    private static String bounded(String text) {
        if (text == null) {
            return "";
        }
        String cleaned = text.replaceAll("\\p{Cntrl}", "?");
        return cleaned.length() <= QUOTED_BODY_CHARS
                ? cleaned
                : cleaned.substring(0, QUOTED_BODY_CHARS) + "...";
    }
}
