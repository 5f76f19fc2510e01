package io.metaservice.host.internal;

import io.metaservice.protocol.ErrorBody;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Writes the errors that Jetty generates itself (malformed requests, oversized headers, bad
 * chunked bodies, unsupported versions) as an {@link ErrorBody}, so that every error a guest
 * sees carries the protocol's JSON body instead of an HTML page.
 */
public final class JsonErrorHandler extends ErrorHandler {

    /** Returns the protocol error code for a status that Jetty generated. */
    static ErrorCode codeFor(int status) {
        if (status == HttpStatus.NOT_FOUND_404) {
            return ErrorCode.NO_SUCH_END_POINT;
        }
        if (status == HttpStatus.METHOD_NOT_ALLOWED_405) {
            return ErrorCode.METHOD_NOT_ALLOWED;
        }
        if (status == HttpStatus.FORBIDDEN_403) {
            return ErrorCode.FORBIDDEN;
        }
        return status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.INVALID_PAYLOAD;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message,
            Throwable cause, Callback callback) throws IOException {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        Responses.json(response, callback, code, body(code, message));
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        try {
            return ByteBuffer.wrap(Json.MAPPER.writeValueAsBytes(body(status, reason)));
        } catch (IOException e) {
            return null;
        }
    }

    private static ErrorBody body(int status, String reason) {
        String text = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
        return new ErrorBody(codeFor(status), "the request was rejected with " + status + ": "
                + Responses.quote(text).replace("'", ""));
    }
}
