package io.metaservice.cli.internal;

/** A path from the guest, or a place in the artifacts folder, that must not be written. */
public final class UnsafePathException extends Exception {

    public UnsafePathException(String message) {
        super(message);
    }
}
