package io.metaservice.protocol;

import java.time.Duration;
import java.util.List;

/** Paths, headers, limits and time-outs of the guest-facing protocol. */
public final class Protocol {

    /** The link-local address at which a guest reaches the service inside a VM. */
    public static final String DEFAULT_HOST = "169.254.169.254";
    public static final int DEFAULT_PORT = 80;

    /** Every path of the guest API starts with this prefix. */
    public static final String ENGINE_PREFIX = "/engine/";
    public static final String EXECUTE_PATH = "/engine/v1/execute";
    public static final String LOG_PATH = "/engine/v1/log";
    public static final String SUCCESS_PATH = "/engine/v1/success";
    public static final String FAILED_PATH = "/engine/v1/failed";
    public static final String PING_PATH = "/engine/v1/ping";
    public static final String POLL_PATH = "/engine/v1/poll";
    public static final String REPLY_PATH = "/engine/v1/reply";
    /** The query parameter of {@link #REPLY_PATH} that carries the action id. */
    public static final String REPLY_ID_PARAMETER = "id";

    /** Header on a get-artifact reply that reports a missing file instead of sending it. */
    public static final String WORKER_ERROR_HEADER = "X-Taskcluster-Worker-Error";
    public static final String FILE_NOT_FOUND = "file-not-found";
    /** The only content type accepted on a list-folder reply. */
    public static final String JSON_CONTENT_TYPE = "application/json";
    /**
     * Extension: proxy forwarding headers. A result or reply request that carries any of them,
     * in any letter case, gets {@code 403 Forbidden}, because only a proxy inside the guest adds
     * them, and such a proxy lets something other than the agent forge results and replies.
     */
    public static final List<String> FORWARDING_HEADERS = List.of("Forwarded", "X-Forwarded-For", "Via");

    /** How long a poll waits for an action before it returns {@link ActionType#NONE}. */
    public static final Duration POLL_TIMEOUT = Duration.ofSeconds(30);
    /** How long an action waits for a poller to take it. */
    public static final Duration ACTION_DELIVERY_TIMEOUT = Duration.ofSeconds(30);
    /** How long the host waits, after delivery, for the reply to start. */
    public static final Duration REPLY_START_TIMEOUT = Duration.ofSeconds(30);
    /** Attempts, the first included, that a host operation makes before it gives up. */
    public static final int HOST_OPERATION_ATTEMPTS = 3;
    /** Bytes of a list-folder reply body that the host reads; the rest is ignored. */
    public static final int LIST_FOLDER_BODY_LIMIT = 10 * 1024 * 1024;

    /** The guest's client time-out on a poll request. */
    public static final Duration GUEST_POLL_CLIENT_TIMEOUT = Duration.ofSeconds(35);
    /** The guest's pause after a failed poll. */
    public static final Duration GUEST_POLL_RETRY_PAUSE = Duration.ofSeconds(1);

    private Protocol() {
    }
}
