package io.metaservice.host;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Destination of the task log. The service calls {@link #write} with the bytes of every log
 * request in arrival order, one call at a time, from Jetty's pool threads.
 */
@FunctionalInterface
public interface LogSink {

    /**
     * Writes all remaining bytes of {@code bytes}. The buffer is only valid during the call.
     *
     * @throws IOException when the log can no longer be written; the guest then gets
     *     {@code 500 InternalError}
     */
    void write(ByteBuffer bytes) throws IOException;

    /** Returns a sink that drops everything. */
    static LogSink discarding() {
        return bytes -> bytes.position(bytes.limit());
    }
}
