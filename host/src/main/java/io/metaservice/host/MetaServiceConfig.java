package io.metaservice.host;

import io.metaservice.host.shell.ShellTimeouts;
import io.metaservice.protocol.Protocol;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of one guest's {@link MetaService}: the task it hands out, where its output goes,
 * and the time-outs and limits it applies. Build it with {@link #builder()}.
 *
 * @param command the task's command, as returned by {@code GET /engine/v1/execute}
 * @param env environment variables that override the agent's own
 * @param logSink where the task log goes
 * @param resultListener called once with the result that the guest reports
 * @param temporaryDirectory where artifacts are stored until the caller closes them
 * @param pollTimeout how long a poll waits before it returns {@code none}
 * @param deliveryTimeout how long an action waits for a poller
 * @param replyStartTimeout how long the host waits, after delivery, for the reply to start
 * @param replyIdleTimeout how long a reply body may stall before the upload is cut off
 * @param maxArtifactBytes largest artifact accepted; larger uploads are stopped and removed
 * @param listFolderBodyLimit bytes of a list-folder reply that are read
 * @param shellTimeouts ping, silence, write and abort time-outs of shell connections
 * @param maxParkedPolls polls that may wait at once; a further poll gets {@code 429}
 * @param maxPendingActions host operations that may be in progress at once; a further one fails
 * @param maxTemporaryBytes bytes that uploads in progress and artifacts not yet closed may hold
 *     on disk together; an upload that would exceed it is stopped and removed
 * @param maxLogRequests log requests that may stream at once; a further one gets {@code 429}
 */
public record MetaServiceConfig(
        List<String> command,
        Map<String, String> env,
        LogSink logSink,
        ResultListener resultListener,
        Path temporaryDirectory,
        Duration pollTimeout,
        Duration deliveryTimeout,
        Duration replyStartTimeout,
        Duration replyIdleTimeout,
        long maxArtifactBytes,
        int listFolderBodyLimit,
        ShellTimeouts shellTimeouts,
        int maxParkedPolls,
        int maxPendingActions,
        long maxTemporaryBytes,
        int maxLogRequests) {

    /** Default largest artifact: 64 GiB. */
    public static final long DEFAULT_MAX_ARTIFACT_BYTES = 64L << 30;
    /** Default time a reply body may make no progress. */
    public static final Duration DEFAULT_REPLY_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Default maximum of waiting polls. Each waiting poll keeps a connection and a timer but no
     * thread. The multi-guest daemon sets a much lower maximum per guest.
     */
    public static final int DEFAULT_MAX_PARKED_POLLS = 256;
    /**
     * Default maximum of log requests streaming at once. Each one may hold a server thread while
     * the log sink blocks, so the maximum keeps a guest from taking every thread.
     */
    public static final int DEFAULT_MAX_LOG_REQUESTS = 4;
    /** Default maximum of host operations in progress at once. */
    public static final int DEFAULT_MAX_PENDING_ACTIONS = 16;
    /** Default maximum of temporary bytes: one artifact of the default maximum size. */
    public static final long DEFAULT_MAX_TEMPORARY_BYTES = DEFAULT_MAX_ARTIFACT_BYTES;

    public MetaServiceConfig {
        command = List.copyOf(command);
        env = Map.copyOf(env);
        Objects.requireNonNull(logSink, "logSink");
        Objects.requireNonNull(resultListener, "resultListener");
        Objects.requireNonNull(temporaryDirectory, "temporaryDirectory");
        requirePositive(pollTimeout, "pollTimeout");
        requirePositive(deliveryTimeout, "deliveryTimeout");
        requirePositive(replyStartTimeout, "replyStartTimeout");
        requirePositive(replyIdleTimeout, "replyIdleTimeout");
        if (maxArtifactBytes < 0) {
            throw new IllegalArgumentException("maxArtifactBytes must be >= 0, got " + maxArtifactBytes);
        }
        Objects.requireNonNull(shellTimeouts, "shellTimeouts");
        if (listFolderBodyLimit <= 0) {
            throw new IllegalArgumentException(
                    "listFolderBodyLimit must be > 0, got " + listFolderBodyLimit);
        }
        if (maxLogRequests <= 0) {
            throw new IllegalArgumentException("maxLogRequests must be > 0, got " + maxLogRequests);
        }
        if (maxParkedPolls <= 0) {
            throw new IllegalArgumentException("maxParkedPolls must be > 0, got " + maxParkedPolls);
        }
        if (maxPendingActions <= 0) {
            throw new IllegalArgumentException(
                    "maxPendingActions must be > 0, got " + maxPendingActions);
        }
        if (maxTemporaryBytes < 0) {
            throw new IllegalArgumentException(
                    "maxTemporaryBytes must be >= 0, got " + maxTemporaryBytes);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
    }

    /** Builder with the protocol's defaults; command and temporary directory are required. */
    public static final class Builder {
        private List<String> command;
        private Map<String, String> env = Map.of();
        private LogSink logSink = LogSink.discarding();
        private ResultListener resultListener = success -> { };
        private Path temporaryDirectory;
        private Duration pollTimeout = Protocol.POLL_TIMEOUT;
        private Duration deliveryTimeout = Protocol.ACTION_DELIVERY_TIMEOUT;
        private Duration replyStartTimeout = Protocol.REPLY_START_TIMEOUT;
        private Duration replyIdleTimeout = DEFAULT_REPLY_IDLE_TIMEOUT;
        private long maxArtifactBytes = DEFAULT_MAX_ARTIFACT_BYTES;
        private int listFolderBodyLimit = Protocol.LIST_FOLDER_BODY_LIMIT;
        private ShellTimeouts shellTimeouts = ShellTimeouts.DEFAULTS;
        private int maxParkedPolls = DEFAULT_MAX_PARKED_POLLS;
        private int maxPendingActions = DEFAULT_MAX_PENDING_ACTIONS;
        private long maxTemporaryBytes = DEFAULT_MAX_TEMPORARY_BYTES;
        private int maxLogRequests = DEFAULT_MAX_LOG_REQUESTS;

        private Builder() {
        }

        public Builder command(List<String> command) {
            this.command = command;
            return this;
        }

        public Builder env(Map<String, String> env) {
            this.env = env;
            return this;
        }

        public Builder logSink(LogSink logSink) {
            this.logSink = logSink;
            return this;
        }

        public Builder resultListener(ResultListener resultListener) {
            this.resultListener = resultListener;
            return this;
        }

        public Builder temporaryDirectory(Path temporaryDirectory) {
            this.temporaryDirectory = temporaryDirectory;
            return this;
        }

        public Builder pollTimeout(Duration pollTimeout) {
            this.pollTimeout = pollTimeout;
            return this;
        }

        public Builder deliveryTimeout(Duration deliveryTimeout) {
            this.deliveryTimeout = deliveryTimeout;
            return this;
        }

        public Builder replyStartTimeout(Duration replyStartTimeout) {
            this.replyStartTimeout = replyStartTimeout;
            return this;
        }

        public Builder replyIdleTimeout(Duration replyIdleTimeout) {
            this.replyIdleTimeout = replyIdleTimeout;
            return this;
        }

        public Builder maxArtifactBytes(long maxArtifactBytes) {
            this.maxArtifactBytes = maxArtifactBytes;
            return this;
        }

        public Builder listFolderBodyLimit(int listFolderBodyLimit) {
            this.listFolderBodyLimit = listFolderBodyLimit;
            return this;
        }

        public Builder shellTimeouts(ShellTimeouts shellTimeouts) {
            this.shellTimeouts = shellTimeouts;
            return this;
        }

        public Builder maxParkedPolls(int maxParkedPolls) {
            this.maxParkedPolls = maxParkedPolls;
            return this;
        }

        public Builder maxPendingActions(int maxPendingActions) {
            this.maxPendingActions = maxPendingActions;
            return this;
        }

        public Builder maxTemporaryBytes(long maxTemporaryBytes) {
            this.maxTemporaryBytes = maxTemporaryBytes;
            return this;
        }

        public Builder maxLogRequests(int maxLogRequests) {
            this.maxLogRequests = maxLogRequests;
            return this;
        }

        public MetaServiceConfig build() {
            Objects.requireNonNull(command, "command");
            return new MetaServiceConfig(command, env, logSink, resultListener,
                    temporaryDirectory, pollTimeout, deliveryTimeout, replyStartTimeout,
                    replyIdleTimeout, maxArtifactBytes, listFolderBodyLimit, shellTimeouts,
                    maxParkedPolls, maxPendingActions, maxTemporaryBytes, maxLogRequests);
        }
    }
}
