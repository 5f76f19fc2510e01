package io.metaservice.guest.internal;

import java.io.IOException;

/**
 * The host returned a task that cannot run: the body of {@code GET /engine/v1/execute} is not
 * valid JSON of an Execute, or its command or environment contains a null or NUL.
 */
public final class InvalidTaskException extends IOException {

    public InvalidTaskException(String message) {
        super(message);
    }

    public InvalidTaskException(String message, Throwable cause) {
        super(message, cause);
    }
}
