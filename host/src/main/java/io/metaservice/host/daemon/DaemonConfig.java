package io.metaservice.host.daemon;

import io.metaservice.protocol.Protocol;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link Daemon}. Build it with {@link #builder()}; the state folder and the
 * control endpoint are required.
 *
 * @param stateDirectory private folder for guest sockets, logs and temporary files; created
 *     with owner-only permissions, and rejected if it exists with wider ones
 * @param control where the control API listens
 * @param bearerToken token that every control request must carry, or null for none
 * @param guestListener address of the shared guest listener for subnet routes, or null for none
 * @param guestAddress the meta-data address inside the guest, used only in the QEMU
 *     {@code -netdev} value handed out for new guests
 * @param guestPort the meta-data port inside the guest, used in the same way
 * @param limits limits and time-outs applied to every guest
 * @param releasedRetention time a released guest's route keeps answering {@code 404} before it
 *     is removed with the guest's log
 * @param maxGuests guests that may exist at once, released ones included
 * @param guestThreads maximum threads serving guest requests
 * @param controlThreads maximum threads serving control requests; a folder download or a host
 *     operation holds one while it runs
 */
public record DaemonConfig(
        Path stateDirectory,
        ControlEndpoint control,
        String bearerToken,
        InetSocketAddress guestListener,
        String guestAddress,
        int guestPort,
        GuestLimits limits,
        Duration releasedRetention,
        int maxGuests,
        int guestThreads,
        int controlThreads) {

    public static final Duration DEFAULT_RELEASED_RETENTION = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_GUESTS = 1024;
    public static final int DEFAULT_GUEST_THREADS = 32;
    public static final int DEFAULT_CONTROL_THREADS = 64;

    public DaemonConfig {
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(control, "control");
        if (bearerToken != null && bearerToken.isBlank()) {
            throw new IllegalArgumentException("the bearer token is empty; omit it or give a non-empty token");
        }
        Objects.requireNonNull(guestAddress, "guestAddress");
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guestPort must be 1 to 65535, got " + guestPort);
        }
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(releasedRetention, "releasedRetention");
        if (releasedRetention.isNegative()) {
            throw new IllegalArgumentException("releasedRetention must be >= 0, got " + releasedRetention);
        }
        if (maxGuests <= 0) {
            throw new IllegalArgumentException("maxGuests must be > 0, got " + maxGuests);
        }
        // Jetty needs a few threads for its selectors and acceptors besides the request threads.
        if (guestThreads < 8 || controlThreads < 8) {
            throw new IllegalArgumentException("guestThreads and controlThreads must be >= 8, got "
                    + guestThreads + " and " + controlThreads);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder of {@link DaemonConfig}. */
    public static final class Builder {
        private Path stateDirectory;
        private ControlEndpoint control;
        private String bearerToken;
        private InetSocketAddress guestListener;
        private String guestAddress = Protocol.DEFAULT_HOST;
        private int guestPort = Protocol.DEFAULT_PORT;
        private GuestLimits limits = GuestLimits.defaults();
        private Duration releasedRetention = DEFAULT_RELEASED_RETENTION;
        private int maxGuests = DEFAULT_MAX_GUESTS;
        private int guestThreads = DEFAULT_GUEST_THREADS;
        private int controlThreads = DEFAULT_CONTROL_THREADS;

        private Builder() {
        }

        public Builder stateDirectory(Path value) {
            stateDirectory = value;
            return this;
        }

        public Builder control(ControlEndpoint value) {
            control = value;
            return this;
        }

        /** Sets the control endpoint from {@code unix:PATH} or a loopback {@code HOST:PORT}. */
        public Builder control(String value) {
            control = ControlEndpoint.parse(value);
            return this;
        }

        public Builder bearerToken(String value) {
            bearerToken = value;
            return this;
        }

        public Builder guestListener(InetSocketAddress value) {
            guestListener = value;
            return this;
        }

        public Builder guestAddress(String value) {
            guestAddress = value;
            return this;
        }

        public Builder guestPort(int value) {
            guestPort = value;
            return this;
        }

        public Builder limits(GuestLimits value) {
            limits = value;
            return this;
        }

        public Builder releasedRetention(Duration value) {
            releasedRetention = value;
            return this;
        }

        public Builder maxGuests(int value) {
            maxGuests = value;
            return this;
        }

        public Builder guestThreads(int value) {
            guestThreads = value;
            return this;
        }

        public Builder controlThreads(int value) {
            controlThreads = value;
            return this;
        }

        public DaemonConfig build() {
            return new DaemonConfig(stateDirectory, control, bearerToken, guestListener,
                    guestAddress, guestPort, limits, releasedRetention, maxGuests, guestThreads,
                    controlThreads);
        }
    }
}
