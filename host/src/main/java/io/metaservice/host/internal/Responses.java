package io.metaservice.host.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.metaservice.protocol.ErrorBody;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.Json;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/** Writes the service's responses: JSON bodies, empty successes and error bodies. */
public final class Responses {

    /** Maximum number of characters of guest input quoted in an error message. */
    private static final int MAX_QUOTED_CHARS = 80;

    private Responses() {
    }

    /** Writes {@code status} with {@code body} encoded as JSON, then completes the callback. */
    public static void json(Response response, Callback callback, int status, Object body) {
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            callback.failed(e);
            return;
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** Writes {@code 200} with an empty body. */
    public static void ok(Response response, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    /** Writes an error response with an {@link ErrorBody}. */
    public static void error(Response response, Callback callback, HttpError error) {
        error(response, callback, error.status(), error.code(), error.getMessage());
    }

    /** Writes an error response with an {@link ErrorBody}. */
    public static void error(
            Response response, Callback callback, int status, ErrorCode code, String message) {
        // An error may leave part of the request body unread, and Jetty then closes the connection
        // after the response. Saying so in the response keeps clients from reusing it.
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        json(response, callback, status, new ErrorBody(code, message));
    }

    /** Writes {@code 405 MethodNotAllowed} naming the allowed method. */
    public static void methodNotAllowed(
            Response response, Callback callback, String method, String path, String allowed) {
        response.getHeaders().put(HttpHeader.ALLOW, allowed);
        error(response, callback, 405, ErrorCode.METHOD_NOT_ALLOWED,
                "method " + quote(method) + " is not allowed on " + quote(path)
                        + "; this end-point only supports '" + allowed + "' requests");
    }

    /**
     * Quotes guest input for a message: at most {@value #MAX_QUOTED_CHARS} characters, control
     * characters replaced, so a hostile value cannot flood or forge log lines.
     */
    public static String quote(String value) {
        if (value == null) {
            return "''";
        }
        StringBuilder quoted = new StringBuilder(Math.min(value.length(), MAX_QUOTED_CHARS) + 5);
        quoted.append('\'');
        for (int i = 0; i < value.length() && i < MAX_QUOTED_CHARS; i++) {
            char c = value.charAt(i);
            quoted.append(Character.isISOControl(c) ? '?' : c);
        }
        if (value.length() > MAX_QUOTED_CHARS) {
            quoted.append("...");
        }
        return quoted.append('\'').toString();
    }
}
