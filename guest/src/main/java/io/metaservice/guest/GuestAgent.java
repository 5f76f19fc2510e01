package io.metaservice.guest;

import io.metaservice.guest.internal.ActionHandler;
import io.metaservice.guest.internal.GuestClient;
import io.metaservice.guest.internal.HostResponse;
import io.metaservice.guest.internal.InvalidTaskException;
import io.metaservice.guest.internal.LogUpload;
import io.metaservice.guest.internal.PollLoop;
import io.metaservice.guest.internal.TaskControl;
import io.metaservice.guest.internal.TaskRunner;
import io.metaservice.guest.shell.GuestShellTimeouts;
import io.metaservice.guest.shell.ShellLauncher;
import io.metaservice.protocol.ErrorBody;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.Execute;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The agent that runs inside a guest. It fetches the task from the meta-data service, runs it
 * on a pseudo-terminal with its output streamed into the task log, reports the result, and
 * replies to the host's actions until it is closed, including interactive shells.
 *
 * <p>{@link #runTask()} blocks its caller for the whole task. Polling for actions runs on its
 * own threads from {@link #startPolling()} or {@link #runTask()} until {@link #close()}, so
 * the host can still fetch artifacts after the result. All methods are thread-safe.
 */
public final class GuestAgent implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GuestAgent.class.getName());

    /** First pause between attempts of {@code GET /engine/v1/execute}, doubled each time. */
    static final Duration EXECUTE_RETRY_MIN = Duration.ofMillis(100);
    /** Maximum pause between attempts of {@code GET /engine/v1/execute}. */
    static final Duration EXECUTE_RETRY_MAX = Duration.ofSeconds(2);
    /**
     * Attempts, the first included, of {@code GET /engine/v1/execute} that return an invalid
     * task before the agent reports the task as failed. Failed requests are retried without a
     * limit, because the host may not be up yet.
     */
    static final int INVALID_TASK_ATTEMPTS = 3;
    /** Attempts, the first included, to report the task's result. */
    static final int RESULT_ATTEMPTS = 5;
    static final Duration RESULT_RETRY_PAUSE = Duration.ofSeconds(1);
    /** How long the agent waits for the log response after the body has ended. */
    static final Duration LOG_RESPONSE_TIMEOUT = Duration.ofSeconds(60);

    private final GuestClient client;
    private final GuestConfig config;
    private final Path workdir;
    private final TaskControl task = new TaskControl();
    private final PollLoop pollLoop;
    private final ShellLauncher shells;
    private final AtomicBoolean pollingStarted = new AtomicBoolean();
    private final AtomicBoolean taskStarted = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The task as fetched by {@link #runTask()}, or null before; shells take its variables. */
    private volatile Execute execute;

    /**
     * Creates an agent for the service at {@code base}, such as {@code http://127.0.0.1:8080/}.
     * Nothing is sent until {@link #startPolling()} or {@link #runTask()}.
     */
    public GuestAgent(URI base, GuestConfig config) {
        this(base, config, GuestShellTimeouts.DEFAULTS);
    }

    /** Creates an agent whose shells use {@code shellTimeouts}, which tests shorten. */
    public GuestAgent(URI base, GuestConfig config, GuestShellTimeouts shellTimeouts) {
        this.client = new GuestClient(base);
        this.config = config;
        this.workdir = Path.of(config.workdir().orElse("")).toAbsolutePath();
        this.shells = new ShellLauncher(client.base(), config, workdir, this::taskEnvironment,
                shellTimeouts);
        this.pollLoop = new PollLoop(client, new ActionHandler(client, workdir, task),
                shells::start);
    }

    /** Starts polling for host actions, unless it has started already. */
    public void startPolling() {
        if (closed.get()) {
            throw new IllegalStateException("the agent is closed");
        }
        if (pollingStarted.compareAndSet(false, true)) {
            warnUnlessUtf8FileNames();
            pollLoop.start();
        }
    }

    /**
     * Warns when the JVM decodes file names with another charset than UTF-8, as it does under
     * the C or POSIX locale. Such a JVM turns each non-ASCII byte of a name into '?', so those
     * files are listed under names that cannot be fetched.
     */
    static void warnUnlessUtf8FileNames() {
        String charset = System.getProperty("sun.jnu.encoding", "");
        if (!charset.equalsIgnoreCase("UTF-8")) {
            LOG.log(System.Logger.Level.WARNING, "File names are decoded as {0}, not UTF-8, so files"
                    + " with non-ASCII names cannot be listed or fetched; start the agent under a"
                    + " UTF-8 locale, such as with LC_ALL=C.UTF-8 in its environment", charset);
        }
    }

    /**
     * Runs the task: fetches it, streams its log, and reports its result. Starts polling
     * first. Returns 0 if the task succeeded and 1 if it failed, could not start, or the agent
     * was closed or interrupted first. May be called once.
     */
    public int runTask() {
        if (!taskStarted.compareAndSet(false, true)) {
            throw new IllegalStateException("runTask may be called only once");
        }
        startPolling();
        LogUpload log = null;
        try {
            Execute execute;
            try {
                execute = fetchExecute();
            } catch (InvalidTaskException e) {
                reportInvalidTask(e);
                return 1;
            }
            if (execute == null) {
                return 1;
            }
            this.execute = execute;
            LOG.log(System.Logger.Level.INFO, "Task fetched: {0} arguments, {1} variables",
                    execute.command().size(), execute.env().size());
            log = LogUpload.start(client);
            int status = run(execute, log);
            log.finish(LOG_RESPONSE_TIMEOUT);
            boolean success = status == 0;
            reportResult(success);
            return success ? 0 : 1;
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.WARNING, "Task interrupted, killing its processes");
            task.kill();
            if (log != null) {
                log.end();
            }
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /**
     * Stops polling, the running action handlers and shells, and kills the task's process tree.
     * Does not wait for {@link #runTask()} to return.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "Closing the agent");
        if (pollingStarted.get()) {
            pollLoop.close();
        }
        shells.close();
        task.kill();
    }

    /**
     * Sends all of {@code in} as one streaming {@code POST /engine/v1/log}, as a second
     * process in the guest does to add to the task log. Returns once the host has accepted it.
     *
     * @throws IOException if the request fails or the host responds with another status than
     *     {@code 200 OK}
     */
    public static void postLog(URI base, InputStream in) throws IOException {
        GuestClient client = new GuestClient(base);
        HostResponse response;
        try {
            response = client.postLog(in).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending the log", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException
                    ? (IOException) e.getCause()
                    : new IOException("POST " + Protocol.LOG_PATH + " failed", e.getCause());
        }
        response.requireOk("POST " + Protocol.LOG_PATH);
    }

    /**
     * Runs the task and returns its exit status. A failure of the agent itself is written into
     * the log and counts as a failed task, so the result is still reported.
     */
    private int run(Execute execute, LogUpload log) throws InterruptedException {
        try {
            return new TaskRunner(config, workdir, task).run(execute, log);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.ERROR, "Running the task failed", e);
            log.writeMessage("the agent failed to run the task: " + e);
            task.kill();
            return TaskRunner.START_FAILED;
        }
    }

    /**
     * Returns the task's own variables for a shell: those fetched by {@link #runTask()}, or
     * fetched now when the task has not been fetched yet.
     */
    private Map<String, String> taskEnvironment() throws IOException, InterruptedException {
        Execute fetched = execute;
        return fetched != null ? fetched.env() : client.fetchExecute().env();
    }

    /**
     * Fetches the task, retrying until it succeeds. Returns null if the agent was closed.
     *
     * @throws InvalidTaskException when {@link #INVALID_TASK_ATTEMPTS} attempts returned an
     *     invalid task
     */
    private Execute fetchExecute() throws InterruptedException, InvalidTaskException {
        long pauseMillis = EXECUTE_RETRY_MIN.toMillis();
        int invalidAttempts = 0;
        for (int attempt = 1; !closed.get(); attempt++) {
            try {
                return client.fetchExecute();
            } catch (InvalidTaskException e) {
                invalidAttempts++;
                if (invalidAttempts >= INVALID_TASK_ATTEMPTS) {
                    throw e;
                }
                LOG.log(System.Logger.Level.WARNING, "Fetched an invalid task (attempt {0} of {1}),"
                        + " retrying in {2} ms: {3}", invalidAttempts, INVALID_TASK_ATTEMPTS,
                        Long.toString(pauseMillis), e.getMessage());
            } catch (IOException e) {
                System.Logger.Level level =
                        attempt == 1 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
                LOG.log(level, "Fetching the task failed (attempt {0}), retrying in {1} ms: {2}",
                        attempt, Long.toString(pauseMillis), e.toString());
            }
            TimeUnit.MILLISECONDS.sleep(pauseMillis);
            pauseMillis = Math.min(pauseMillis * 2, EXECUTE_RETRY_MAX.toMillis());
        }
        LOG.log(System.Logger.Level.INFO, "Agent closed before the task was fetched");
        return null;
    }

    /**
     * Reports a task that can never run as failed, with the reason as the whole task log, so
     * that the host does not wait for a result that never comes.
     */
    private void reportInvalidTask(InvalidTaskException e) throws InterruptedException {
        LOG.log(System.Logger.Level.ERROR, "Fetched an invalid task " + INVALID_TASK_ATTEMPTS
                + " times; reporting it as failed: " + e.getMessage());
        LogUpload log = LogUpload.start(client);
        log.writeMessage("the task cannot run: " + e.getMessage());
        log.finish(LOG_RESPONSE_TIMEOUT);
        reportResult(false);
    }

    /** Reports the result, retrying failed attempts. A conflict means it was reported already. */
    private void reportResult(boolean success) throws InterruptedException {
        String path = success ? Protocol.SUCCESS_PATH : Protocol.FAILED_PATH;
        for (int attempt = 1; attempt <= RESULT_ATTEMPTS; attempt++) {
            try {
                HostResponse response = client.putResult(success);
                if (response.isOk()) {
                    LOG.log(System.Logger.Level.INFO, "Reported {0}", path);
                    return;
                }
                ErrorBody error = response.errorBody();
                if (error != null && error.code() == ErrorCode.RESOURCE_CONFLICT) {
                    LOG.log(System.Logger.Level.WARNING, "PUT {0} rejected, the other result"
                            + " was reported first: {1}", path, response.describe());
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "PUT {0} failed (attempt {1} of {2}): {3}",
                        path, attempt, RESULT_ATTEMPTS, response.describe());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "PUT {0} failed (attempt {1} of {2}): {3}",
                        path, attempt, RESULT_ATTEMPTS, e.toString());
            }
            if (attempt < RESULT_ATTEMPTS && !closed.get()) {
                TimeUnit.MILLISECONDS.sleep(RESULT_RETRY_PAUSE.toMillis());
            }
        }
        LOG.log(System.Logger.Level.ERROR, "Could not report {0} after {1} attempts", path,
                RESULT_ATTEMPTS);
    }
}
