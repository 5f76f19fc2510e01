package io.metaservice.host;

/**
 * Failure of a host operation such as {@link MetaService#getArtifact}. {@link #isRetryable()} is
 * true for failures that another attempt may fix: the guest did not take the action or did not
 * reply in time, or the reply broke off.
 */
public class HostOperationException extends Exception {

    private final boolean retryable;

    public HostOperationException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public HostOperationException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean isRetryable() {
        return retryable;
    }
}
