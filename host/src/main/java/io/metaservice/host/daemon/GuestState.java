package io.metaservice.host.daemon;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The life-cycle state of a guest; in JSON the lower-case name. */
public enum GuestState {
    /** Created; the guest has not fetched its command yet. */
    WAITING,
    /** The guest fetched its command and has not reported a result yet. */
    RUNNING,
    /** The guest reported success. */
    SUCCEEDED,
    /** The guest reported failure. */
    FAILED,
    /** Released: its route responds with {@code 404} until the daemon removes the guest. */
    RELEASED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
