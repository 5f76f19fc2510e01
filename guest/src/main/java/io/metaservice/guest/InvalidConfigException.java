package io.metaservice.guest;

import java.io.IOException;

/** Thrown when a guest configuration file is not valid YAML or a key has the wrong type. */
public final class InvalidConfigException extends IOException {

    public InvalidConfigException(String message) {
        super(message);
    }

    public InvalidConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
