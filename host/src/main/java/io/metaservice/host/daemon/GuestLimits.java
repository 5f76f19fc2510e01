package io.metaservice.host.daemon;

import io.metaservice.host.MetaServiceConfig;
import io.metaservice.host.shell.ShellTimeouts;
import io.metaservice.protocol.Protocol;
import io.metaservice.protocol.shell.ShellProtocol;
import java.time.Duration;
import java.util.Objects;

/**
 * The limits and time-outs that the daemon applies to every guest. Build it with
 * {@link #builder()}; every value has a default that suits a guest agent that follows the
 * protocol.
 *
 * @param maxConnections open connections of one guest; a further connection is closed at once
 * @param maxParkedPolls polls of one guest that may wait at once; a further one gets {@code 429}
 * @param maxPendingActions host operations on one guest that may run at once
 * @param maxShells shells of one guest open through the control API at once
 * @param maxLogRequests log requests of one guest that may stream at once; a further one gets
 *     {@code 429}
 * @param maxRequestHeaderBytes size of a request's line and headers; larger ones get {@code 431}
 * @param headerReadTimeout time from a request's first byte to the end of its headers
 * @param idleTimeout time a guest connection may send and receive nothing
 * @param minReplyBytesPerSecond average rate below which a reply body is cut off, 0 for none
 * @param replyRateGracePeriod time a reply body runs before its rate is checked
 * @param replyIdleTimeout time a reply body may send nothing
 * @param listFolderBodyLimit bytes of a list-folder reply that are read
 * @param maxArtifactBytes size of one artifact
 * @param maxTemporaryBytes bytes of one guest's uploads and artifacts on disk at once
 * @param maxLogBytes bytes of one guest's log that are stored; later bytes are counted and dropped
 * @param maxShellMessageBytes size of a websocket message from a control API shell client
 * @param pollTimeout time a poll waits before it returns {@code none}
 * @param deliveryTimeout time an action waits for a poll
 * @param replyStartTimeout time, after delivery, until the reply starts
 * @param shellTimeouts ping, silence, write and abort time-outs of shells
 */
public record GuestLimits(
        int maxConnections,
        int maxParkedPolls,
        int maxPendingActions,
        int maxShells,
        int maxLogRequests,
        int maxRequestHeaderBytes,
        Duration headerReadTimeout,
        Duration idleTimeout,
        long minReplyBytesPerSecond,
        Duration replyRateGracePeriod,
        Duration replyIdleTimeout,
        int listFolderBodyLimit,
        long maxArtifactBytes,
        long maxTemporaryBytes,
        long maxLogBytes,
        int maxShellMessageBytes,
        Duration pollTimeout,
        Duration deliveryTimeout,
        Duration replyStartTimeout,
        ShellTimeouts shellTimeouts) {

    /**
     * Default maximum of connections per guest: a poll, a log stream, the result report and
     * several replies and shells at once fit with room to spare.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 32;
    /**
     * Default maximum of waiting polls per guest. A guest agent runs one poll loop, so a few
     * cover its retries and a second agent.
     */
    public static final int DEFAULT_MAX_PARKED_POLLS = 8;
    public static final int DEFAULT_MAX_SHELLS = 8;
    /** Jetty's default request header size. */
    public static final int DEFAULT_MAX_REQUEST_HEADER_BYTES = 8 * 1024;
    public static final Duration DEFAULT_HEADER_READ_TIMEOUT = Duration.ofSeconds(10);
    /** Longer than a poll, which sends nothing while it waits. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    public static final long DEFAULT_MIN_REPLY_BYTES_PER_SECOND = 1024;
    public static final Duration DEFAULT_REPLY_RATE_GRACE_PERIOD = Duration.ofSeconds(10);
    public static final long DEFAULT_MAX_LOG_BYTES = 64L << 20;

    public GuestLimits {
        requirePositive(maxConnections, "maxConnections");
        requirePositive(maxParkedPolls, "maxParkedPolls");
        requirePositive(maxPendingActions, "maxPendingActions");
        requirePositive(maxShells, "maxShells");
        requirePositive(maxLogRequests, "maxLogRequests");
        requirePositive(maxRequestHeaderBytes, "maxRequestHeaderBytes");
        requirePositive(headerReadTimeout, "headerReadTimeout");
        requirePositive(idleTimeout, "idleTimeout");
        if (minReplyBytesPerSecond < 0) {
            throw new IllegalArgumentException(
                    "minReplyBytesPerSecond must be >= 0, got " + minReplyBytesPerSecond);
        }
        requirePositive(replyRateGracePeriod, "replyRateGracePeriod");
        requirePositive(replyIdleTimeout, "replyIdleTimeout");
        requirePositive(listFolderBodyLimit, "listFolderBodyLimit");
        requirePositive(maxArtifactBytes, "maxArtifactBytes");
        requirePositive(maxTemporaryBytes, "maxTemporaryBytes");
        requirePositive(maxLogBytes, "maxLogBytes");
        if (maxShellMessageBytes < ShellProtocol.BLOCK_SIZE + 2) {
            throw new IllegalArgumentException("maxShellMessageBytes must be at least "
                    + (ShellProtocol.BLOCK_SIZE + 2) + " to carry a full data block, got "
                    + maxShellMessageBytes);
        }
        requirePositive(pollTimeout, "pollTimeout");
        requirePositive(deliveryTimeout, "deliveryTimeout");
        requirePositive(replyStartTimeout, "replyStartTimeout");
        Objects.requireNonNull(shellTimeouts, "shellTimeouts");
    }

    /** Returns the defaults. */
    public static GuestLimits defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder that starts from these values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    private static void requirePositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** Builder of {@link GuestLimits}, starting from the defaults. */
    public static final class Builder {
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxParkedPolls = DEFAULT_MAX_PARKED_POLLS;
        private int maxPendingActions = MetaServiceConfig.DEFAULT_MAX_PENDING_ACTIONS;
        private int maxShells = DEFAULT_MAX_SHELLS;
        private int maxLogRequests = MetaServiceConfig.DEFAULT_MAX_LOG_REQUESTS;
        private int maxRequestHeaderBytes = DEFAULT_MAX_REQUEST_HEADER_BYTES;
        private Duration headerReadTimeout = DEFAULT_HEADER_READ_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private long minReplyBytesPerSecond = DEFAULT_MIN_REPLY_BYTES_PER_SECOND;
        private Duration replyRateGracePeriod = DEFAULT_REPLY_RATE_GRACE_PERIOD;
        private Duration replyIdleTimeout = MetaServiceConfig.DEFAULT_REPLY_IDLE_TIMEOUT;
        private int listFolderBodyLimit = Protocol.LIST_FOLDER_BODY_LIMIT;
        private long maxArtifactBytes = MetaServiceConfig.DEFAULT_MAX_ARTIFACT_BYTES;
        private long maxTemporaryBytes = MetaServiceConfig.DEFAULT_MAX_TEMPORARY_BYTES;
        private long maxLogBytes = DEFAULT_MAX_LOG_BYTES;
        private int maxShellMessageBytes = ShellProtocol.MAX_MESSAGE_SIZE;
        private Duration pollTimeout = Protocol.POLL_TIMEOUT;
        private Duration deliveryTimeout = Protocol.ACTION_DELIVERY_TIMEOUT;
        private Duration replyStartTimeout = Protocol.REPLY_START_TIMEOUT;
        private ShellTimeouts shellTimeouts = ShellTimeouts.DEFAULTS;

        private Builder() {
        }

        private Builder(GuestLimits limits) {
            maxConnections = limits.maxConnections;
            maxParkedPolls = limits.maxParkedPolls;
            maxPendingActions = limits.maxPendingActions;
            maxShells = limits.maxShells;
            maxLogRequests = limits.maxLogRequests;
            maxRequestHeaderBytes = limits.maxRequestHeaderBytes;
            headerReadTimeout = limits.headerReadTimeout;
            idleTimeout = limits.idleTimeout;
            minReplyBytesPerSecond = limits.minReplyBytesPerSecond;
            replyRateGracePeriod = limits.replyRateGracePeriod;
            replyIdleTimeout = limits.replyIdleTimeout;
            listFolderBodyLimit = limits.listFolderBodyLimit;
            maxArtifactBytes = limits.maxArtifactBytes;
            maxTemporaryBytes = limits.maxTemporaryBytes;
            maxLogBytes = limits.maxLogBytes;
            maxShellMessageBytes = limits.maxShellMessageBytes;
            pollTimeout = limits.pollTimeout;
            deliveryTimeout = limits.deliveryTimeout;
            replyStartTimeout = limits.replyStartTimeout;
            shellTimeouts = limits.shellTimeouts;
        }

        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        public Builder maxParkedPolls(int value) {
            maxParkedPolls = value;
            return this;
        }

        public Builder maxPendingActions(int value) {
            maxPendingActions = value;
            return this;
        }

        public Builder maxShells(int value) {
            maxShells = value;
            return this;
        }

        public Builder maxLogRequests(int value) {
            maxLogRequests = value;
            return this;
        }

        public Builder maxRequestHeaderBytes(int value) {
            maxRequestHeaderBytes = value;
            return this;
        }

        public Builder headerReadTimeout(Duration value) {
            headerReadTimeout = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        public Builder minReplyBytesPerSecond(long value) {
            minReplyBytesPerSecond = value;
            return this;
        }

        public Builder replyRateGracePeriod(Duration value) {
            replyRateGracePeriod = value;
            return this;
        }

        public Builder replyIdleTimeout(Duration value) {
            replyIdleTimeout = value;
            return this;
        }

        public Builder listFolderBodyLimit(int value) {
            listFolderBodyLimit = value;
            return this;
        }

        public Builder maxArtifactBytes(long value) {
            maxArtifactBytes = value;
            return this;
        }

        public Builder maxTemporaryBytes(long value) {
            maxTemporaryBytes = value;
            return this;
        }

        public Builder maxLogBytes(long value) {
            maxLogBytes = value;
            return this;
        }

        public Builder maxShellMessageBytes(int value) {
            maxShellMessageBytes = value;
            return this;
        }

        public Builder pollTimeout(Duration value) {
            pollTimeout = value;
            return this;
        }

        public Builder deliveryTimeout(Duration value) {
            deliveryTimeout = value;
            return this;
        }

        public Builder replyStartTimeout(Duration value) {
            replyStartTimeout = value;
            return this;
        }

        public Builder shellTimeouts(ShellTimeouts value) {
            shellTimeouts = value;
            return this;
        }

        public GuestLimits build() {
            return new GuestLimits(maxConnections, maxParkedPolls, maxPendingActions, maxShells,
                    maxLogRequests, maxRequestHeaderBytes, headerReadTimeout, idleTimeout, minReplyBytesPerSecond,
                    replyRateGracePeriod, replyIdleTimeout, listFolderBodyLimit, maxArtifactBytes,
                    maxTemporaryBytes, maxLogBytes, maxShellMessageBytes, pollTimeout,
                    deliveryTimeout, replyStartTimeout, shellTimeouts);
        }
    }
}
