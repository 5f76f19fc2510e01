package io.metaservice.host;

/** Receives the task result that the guest reports; called once, on a listener thread. */
@FunctionalInterface
public interface ResultListener {

    void onResult(boolean success);
}
