package io.metaservice.host;

import io.metaservice.host.internal.ActionBroker;
import io.metaservice.host.internal.ArtifactReply;
import io.metaservice.host.internal.FolderListingReply;
import io.metaservice.host.internal.KillProcessReply;
import io.metaservice.host.internal.LogIngest;
import io.metaservice.host.internal.PendingAction;
import io.metaservice.host.internal.ReplyHandler;
import io.metaservice.host.internal.Responses;
import io.metaservice.host.internal.ResultLatch;
import io.metaservice.host.internal.ShellReply;
import io.metaservice.host.internal.TemporaryBytes;
import io.metaservice.host.shell.HostShell;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.Execute;
import io.metaservice.protocol.Protocol;
import io.metaservice.protocol.Slugid;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest's meta-data service: the guest API under {@code /engine/v1/} as a Jetty handler,
 * and the host operations that send actions to the guest.
 *
 * <p>No request holds a thread while it waits: polls park their callback, and log and artifact
 * bodies are read with Jetty's demand API. Host operations block their caller until the guest
 * has replied or the attempt has timed out, and try {@value Protocol#HOST_OPERATION_ATTEMPTS}
 * times in all before they give up on retryable failures. At most
 * {@link MetaServiceConfig#maxPendingActions()} operations are in progress at once.
 *
 * <p>Result and reply requests that carry a proxy forwarding header
 * ({@link Protocol#FORWARDING_HEADERS}) get {@code 403 Forbidden}.
 */
public final class MetaService extends Handler.Abstract implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetaService.class);

    private final String guestId;
    private final MetaServiceConfig config;
    private final Execute execute;
    private final ActionBroker broker;
    private final LogIngest log;
    private final ResultLatch result;
    private final TemporaryBytes temporaryBytes;
    /** One permit per host operation attempt whose outcome is not complete yet. */
    private final Semaphore pendingActions;
    private final AtomicBoolean forwardedWarned = new AtomicBoolean();
    /** Set by {@link #close()}, after which every request gets 404. */
    private volatile boolean released;

    public MetaService(MetaServiceConfig config) {
        this(Slugid.v4(), config);
    }

    /** Creates a service whose log lines carry {@code guestId}. */
    public MetaService(String guestId, MetaServiceConfig config) {
        this.guestId = guestId;
        this.config = config;
        this.execute = new Execute(config.env(), config.command());
        this.broker = new ActionBroker(guestId, config.pollTimeout(), config.deliveryTimeout(),
                config.replyStartTimeout(), config.maxParkedPolls());
        this.log = new LogIngest(guestId, config.logSink(), config.maxLogRequests());
        this.result = new ResultLatch(guestId, config.resultListener());
        this.temporaryBytes = new TemporaryBytes(config.maxTemporaryBytes());
        this.pendingActions = new Semaphore(config.maxPendingActions());
    }

    public String guestId() {
        return guestId;
    }

    /** Completes with the first result that the guest reports: true for success. */
    public CompletableFuture<Boolean> result() {
        return result.future();
    }

    /** Returns the number of task log bytes received so far. */
    public long logBytes() {
        return log.bytes();
    }

    /**
     * Returns true once the log sink has thrown: the rest of the task log was refused with
     * {@code 500 InternalError}, so the log is incomplete.
     */
    public boolean logWriteFailed() {
        return log.writeFailed();
    }

    /** Returns the bytes held on disk by uploads in progress and artifacts not yet closed. */
    public long temporaryBytes() {
        return temporaryBytes.used();
    }

    /**
     * Fetches a file from the guest into a temporary file, which the caller must close.
     *
     * @throws ResourceNotFoundException when the guest reports that the file does not exist
     * @throws HostOperationException when every attempt failed
     */
    public Artifact getArtifact(String path) throws HostOperationException, InterruptedException {
        return (Artifact) perform(new ActionRequest(ActionType.GET_ARTIFACT, path, null, false), () -> new ArtifactReply(
                guestId, path, config.temporaryDirectory(), config.maxArtifactBytes(),
                config.replyIdleTimeout(), temporaryBytes));
    }

    /**
     * Lists every regular file below a folder of the guest, recursively, as absolute paths.
     *
     * @throws ResourceNotFoundException when the guest cannot read the folder
     * @throws HostOperationException when every attempt failed
     */
    @SuppressWarnings("unchecked")
    public List<String> listFolder(String path) throws HostOperationException, InterruptedException {
        return (List<String>) perform(new ActionRequest(ActionType.LIST_FOLDER, path, null, false),
                () -> new FolderListingReply(guestId, path, config.listFolderBodyLimit()));
    }

    /**
     * Opens an interactive shell in the guest running {@code command}, or the guest's default
     * shell when it is null or empty, with a pseudo-terminal when {@code tty} is true.
     *
     * @throws HostOperationException when every attempt to connect failed
     */
    public HostShell execShell(List<String> command, boolean tty)
            throws HostOperationException, InterruptedException {
        return (HostShell) perform(new ActionRequest(ActionType.EXEC_SHELL, "", command, tty),
                () -> new ShellReply(guestId, config.shellTimeouts()));
    }

    /** Asks the guest to kill the task's process tree; returns once the guest has started. */
    public void killProcess() throws HostOperationException, InterruptedException {
        perform(new ActionRequest(ActionType.KILL_PROCESS, "", null, false), KillProcessReply::new);
    }

    /**
     * Answers waiting polls with {@code none} and makes later polls return at once. Actions that
     * have not been delivered fail. Call it when the guest's work is over.
     */
    public void stopPollers() {
        LOG.info("guest {}: stopping pollers", guestId);
        broker.stopPollers();
    }

    /** Returns the number of polls waiting for an action. */
    public int parkedPolls() {
        return broker.parkedPolls();
    }

    /**
     * Releases the service: stops the pollers, and every later request gets
     * {@code 404 NoSuchEndPoint}. Artifacts already returned stay valid until closed.
     */
    @Override
    public void close() {
        released = true;
        stopPollers();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        // Match the decoded path, as the original service does: /engine/v1/%70ing is ping.
        String path = request.getHttpURI().getDecodedPath();
        String method = request.getMethod();
        LOG.debug("guest {}: {} {}", guestId, method, path);
        if (released) {
            Responses.error(response, callback, 404, ErrorCode.NO_SUCH_END_POINT,
                    "this guest's meta-data service has been released");
            return true;
        }
        switch (path == null ? "" : path) {
            case Protocol.EXECUTE_PATH -> {
                if (requireMethod(request, response, callback, HttpMethod.GET)) {
                    Responses.json(response, callback, 200, execute);
                }
            }
            case Protocol.LOG_PATH -> {
                if (requireMethod(request, response, callback, HttpMethod.POST)) {
                    log.handle(request, response, callback);
                }
            }
            case Protocol.SUCCESS_PATH -> {
                if (requireMethod(request, response, callback, HttpMethod.PUT)
                        && requireNotForwarded(request, response, callback)) {
                    reportResult(true, response, callback);
                }
            }
            case Protocol.FAILED_PATH -> {
                if (requireMethod(request, response, callback, HttpMethod.PUT)
                        && requireNotForwarded(request, response, callback)) {
                    reportResult(false, response, callback);
                }
            }
            case Protocol.PING_PATH -> {
                if (requireMethod(request, response, callback, HttpMethod.GET)) {
                    Responses.ok(response, callback);
                }
            }
            case Protocol.POLL_PATH -> {
                if (requireMethod(request, response, callback, HttpMethod.GET)) {
                    broker.poll(request, response, callback);
                }
            }
            case Protocol.REPLY_PATH -> {
                if (requireNotForwarded(request, response, callback)) {
                    reply(request, response, callback);
                }
            }
            default -> Responses.error(response, callback, 404, ErrorCode.NO_SUCH_END_POINT,
                    "no meta-data API end-point at " + Responses.quote(path)
                            + "; the end-points are execute, log, success, failed, ping, poll and reply"
                            + " under /engine/v1/");
        }
        return true;
    }

    private boolean requireMethod(
            Request request, Response response, Callback callback, HttpMethod allowed) {
        if (allowed.is(request.getMethod())) {
            return true;
        }
        Responses.methodNotAllowed(response, callback, request.getMethod(),
                request.getHttpURI().getPath(), allowed.asString());
        return false;
    }

    /**
     * Responds with {@code 403 Forbidden} when the request carries a proxy forwarding header. The
     * check runs before the reply id is looked up, so a forwarded reply does not use up the id.
     */
    private boolean requireNotForwarded(Request request, Response response, Callback callback) {
        for (String header : Protocol.FORWARDING_HEADERS) {
            if (request.getHeaders().contains(header)) {
                // Warn once per guest, so a guest that repeats the request cannot flood the log.
                if (forwardedWarned.compareAndSet(false, true)) {
                    LOG.warn("guest {}: rejected {} {} carrying the forwarding header {};"
                                    + " later rejections are logged at DEBUG", guestId,
                            request.getMethod(), request.getHttpURI().getPath(), header);
                } else {
                    LOG.debug("guest {}: rejected {} {} carrying the forwarding header {}", guestId,
                            request.getMethod(), request.getHttpURI().getPath(), header);
                }
                Responses.error(response, callback, 403, ErrorCode.FORBIDDEN,
                        "requests carrying the " + header + " header are rejected on this end-point;"
                                + " send results and replies directly, not through a proxy");
                return false;
            }
        }
        return true;
    }

    private void reportResult(boolean success, Response response, Callback callback) {
        if (result.report(success)) {
            Responses.ok(response, callback);
            return;
        }
        String reported = success ? "failed" : "succeeded";
        Responses.error(response, callback, 409, ErrorCode.RESOURCE_CONFLICT,
                "the task was already reported as " + reported + "; a result cannot change");
    }

    private void reply(Request request, Response response, Callback callback) {
        String id;
        try {
            Fields query = Request.extractQueryParameters(request);
            id = query.getValue(Protocol.REPLY_ID_PARAMETER);
        } catch (IllegalArgumentException e) {
            // A malformed query such as ?id=%zz names no action, so the id is unknown.
            id = request.getHttpURI().getQuery();
            LOG.debug("guest {}: reply with a malformed query {}", guestId, Responses.quote(id));
            Responses.error(response, callback, 400, ErrorCode.UNKNOWN_ACTION_ID,
                    "the reply query " + Responses.quote(id) + " is malformed, so it names no known action");
            return;
        }
        PendingAction action = id == null ? null : broker.takeForReply(id);
        if (action == null) {
            LOG.debug("guest {}: reply for unknown action id {}", guestId, Responses.quote(id));
            Responses.error(response, callback, 400, ErrorCode.UNKNOWN_ACTION_ID,
                    "action id " + Responses.quote(id)
                            + " is not known: it was already answered, timed out or never existed");
            return;
        }
        LOG.debug("guest {}: {} reply for {} action {}", guestId, request.getMethod(),
                action.action().type().wireName(), id);
        action.handleReply(request, response, callback);
    }

    /**
     * Closes the outcome of an action whose caller stopped waiting while the reply was running,
     * such as an artifact, so that its temporary file is not left behind.
     */
    private void closeWhenDone(PendingAction pending) {
        pending.outcome().thenAccept(value -> {
            if (value instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.warn("guest {}: cannot close the unclaimed outcome of action {}: {}",
                            guestId, pending.id(), e.toString());
                }
            }
        });
    }

    /** The fields of an action, before each attempt gives it a fresh id. */
    private record ActionRequest(ActionType type, String path, List<String> command, boolean tty) {
    }

    private Object perform(ActionRequest request, Supplier<ReplyHandler> handlers)
            throws HostOperationException, InterruptedException {
        ActionType type = request.type();
        String path = request.path();
        HostOperationException last = null;
        for (int attempt = 1; attempt <= Protocol.HOST_OPERATION_ATTEMPTS; attempt++) {
            if (!pendingActions.tryAcquire()) {
                throw new HostOperationException(type.wireName() + " " + Responses.quote(path)
                        + " was not started: guest " + guestId + " already has "
                        + config.maxPendingActions() + " host operations in progress, the maximum;"
                        + " retry when one of them has finished", false);
            }
            Action action = new Action(Slugid.v4(), type, path, request.command(), request.tty());
            PendingAction pending = new PendingAction(action, handlers.get());
            pending.outcome().whenComplete((value, failure) -> pendingActions.release());
            broker.submit(pending);
            try {
                return pending.outcome().get();
            } catch (InterruptedException e) {
                broker.cancel(pending);
                closeWhenDone(pending);
                throw e;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof HostOperationException failure)) {
                    throw new HostOperationException(type.wireName() + " failed: " + e.getCause(), false,
                            e.getCause());
                }
                if (!failure.isRetryable()) {
                    throw failure;
                }
                last = failure;
                LOG.info("guest {}: {} attempt {} of {} failed: {}", guestId, type.wireName(),
                        attempt, Protocol.HOST_OPERATION_ATTEMPTS, failure.getMessage());
            }
        }
        throw new HostOperationException(type.wireName() + " " + Responses.quote(path) + " failed after "
                + Protocol.HOST_OPERATION_ATTEMPTS + " attempts: " + last.getMessage(), true, last);
    }
}
