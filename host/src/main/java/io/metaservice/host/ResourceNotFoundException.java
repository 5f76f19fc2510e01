package io.metaservice.host;

/** The guest reported that the requested file or folder does not exist or cannot be read. */
public final class ResourceNotFoundException extends HostOperationException {

    private final String path;

    public ResourceNotFoundException(String path, String message) {
        super(message, false);
        this.path = path;
    }

    /** Returns the guest path that was requested. */
    public String path() {
        return path;
    }
}
