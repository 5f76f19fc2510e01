package io.metaservice.guest.shell;

import io.metaservice.guest.GuestConfig;
import io.metaservice.guest.internal.ProcessCommand;
import io.metaservice.guest.internal.TaskEnvironment;
import io.metaservice.guest.internal.TaskStartException;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Starts the guest's end of each {@code exec-shell} action, on a thread of its own named
 * {@code metaservice-guest-shell-N}, so that several shells run at once and alongside the task.
 *
 * <p>A shell runs the action's command, or the configured {@code shell} when the action names
 * none, as the configured user in the task's working folder. Its environment is the task's:
 * the agent's variables, overridden by the configured {@code env}, overridden by the task's
 * own. A shell with a terminal also gets {@code TERM=xterm} when none of these sets
 * {@code TERM}. Without a terminal, the process leads a new session when util-linux
 * {@code setsid} is installed, so that an abort also finds the orphans it leaves.
 *
 * <p>At most {@link #MAX_SHELLS} shells run at once; a shell beyond that reports a failure to
 * start. Thread-safe: the monitor guards the set of running shells.
 */
public final class ShellLauncher implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ShellLauncher.class.getName());

    public static final int MAX_SHELLS = 16;
    /** The terminal type that a shell with a terminal gets when its environment sets none. */
    static final String DEFAULT_TERM = "xterm";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /** Returns the task's own environment variables, as the host sends them. */
    @FunctionalInterface
    public interface TaskEnvironmentSource {
        Map<String, String> taskEnvironment() throws IOException, InterruptedException;
    }

    private final URI base;
    private final GuestConfig config;
    private final Path workdir;
    private final TaskEnvironmentSource taskEnvironment;
    private final GuestShellTimeouts timeouts;
    private final Consumer<GuestShell> onStart;
    private final ExecutorService websocketThreads;
    private final HttpClient client;
    private final AtomicInteger shellNumbers = new AtomicInteger();

    /** Shells between their start and their end. Guarded by {@code this}. */
    private final List<GuestShell> running = new ArrayList<>();
    /** Their threads. Guarded by {@code this}. */
    private final List<Thread> threads = new ArrayList<>();
    private boolean closed;

    /**
     * Creates a launcher for the service at {@code base}, such as {@code http://127.0.0.1:8080/};
     * only its host and port are used.
     */
    public ShellLauncher(URI base, GuestConfig config, Path workdir,
            TaskEnvironmentSource taskEnvironment, GuestShellTimeouts timeouts) {
        this(base, config, workdir, taskEnvironment, timeouts, shell -> { });
    }

    /** Creates a launcher that also hands each shell to {@code onStart}, for tests. */
    ShellLauncher(URI base, GuestConfig config, Path workdir,
            TaskEnvironmentSource taskEnvironment, GuestShellTimeouts timeouts,
            Consumer<GuestShell> onStart) {
        this.base = base;
        this.config = config;
        this.workdir = workdir;
        this.taskEnvironment = taskEnvironment;
        this.timeouts = timeouts;
        this.onStart = onStart;
        AtomicInteger threadNumbers = new AtomicInteger();
        this.websocketThreads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable,
                            "metaservice-guest-shell-io-" + threadNumbers.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeouts.handshakeTimeout())
                .executor(websocketThreads)
                .build();
    }

    /**
     * Starts the shell of an {@code exec-shell} action and returns at once.
     *
     * @throws IllegalArgumentException if the action is of another type
     */
    public void start(Action action) {
        if (action.type() != ActionType.EXEC_SHELL) {
            throw new IllegalArgumentException("not an exec-shell action: " + action.type());
        }
        String name = "metaservice-guest-shell-" + shellNumbers.incrementAndGet();
        Thread thread = new Thread(() -> runShell(action, name), name);
        thread.setDaemon(true);
        synchronized (this) {
            if (closed) {
                LOG.log(System.Logger.Level.INFO, "Shell {0} not started: the agent is closing",
                        action.id());
                return;
            }
            threads.add(thread);
        }
        thread.start();
    }

    /** Returns the number of shells that are running. */
    public synchronized int runningShells() {
        return running.size();
    }

    /**
     * Ends every running shell: kills its process tree and drops its connection. Waits a few
     * seconds for the shells' threads. Later actions are ignored.
     */
    @Override
    public void close() {
        List<GuestShell> shells;
        List<Thread> shellThreads;
        synchronized (this) {
            closed = true;
            shells = List.copyOf(running);
            shellThreads = List.copyOf(threads);
        }
        for (GuestShell shell : shells) {
            shell.stop("the agent is stopping");
        }
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        try {
            for (Thread thread : shellThreads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                thread.join(Math.max(1, left));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        websocketThreads.shutdown();
    }

    private void runShell(Action action, String name) {
        try {
            ShellCommand command = null;
            String failure = null;
            try {
                command = prepare(action);
            } catch (TaskStartException e) {
                failure = e.getMessage();
            }
            GuestShell shell = new GuestShell(name, action.id(), action.tty(), command,
                    failure, timeouts);
            synchronized (this) {
                if (failure == null && running.size() >= MAX_SHELLS) {
                    shell = new GuestShell(name, action.id(), action.tty(), null,
                            "the guest already runs " + MAX_SHELLS + " shells, the maximum",
                            timeouts);
                }
                running.add(shell);
            }
            try {
                onStart.accept(shell);
                shell.run(client, replyUri(action.id()));
            } finally {
                synchronized (this) {
                    running.remove(shell);
                }
            }
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.INFO, "Shell {0} interrupted", action.id());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Shell " + action.id() + " failed", e);
        } finally {
            synchronized (this) {
                threads.remove(Thread.currentThread());
            }
        }
    }

    private ShellCommand prepare(Action action) throws TaskStartException, InterruptedException {
        List<String> command = action.command() == null || action.command().isEmpty()
                ? config.shell()
                : action.command();
        Map<String, String> task;
        try {
            task = taskEnvironment.taskEnvironment();
        } catch (IOException e) {
            throw new TaskStartException(
                    "cannot fetch the task's environment: " + e.getMessage(), e);
        }
        Map<String, String> environment =
                new LinkedHashMap<>(TaskEnvironment.layer(System.getenv(), config.env(), task));
        if (action.tty()) {
            environment.putIfAbsent("TERM", DEFAULT_TERM);
        }
        if (!Files.isDirectory(workdir)) {
            throw new TaskStartException("working folder " + workdir + " is not a folder");
        }
        List<String> argv = new ArrayList<>();
        if (!action.tty()) {
            // A process started by the JDK is never a group leader, so setsid does not fork.
            Optional<Path> setsid = ProcessCommand.setsid();
            setsid.ifPresent(path -> argv.add(path.toString()));
        }
        argv.addAll(ProcessCommand.argv(command, config.user(), environment.get("PATH"), workdir));
        return new ShellCommand(argv, environment, workdir, action.tty());
    }

    private URI replyUri(String actionId) {
        return URI.create("ws://" + base.getRawAuthority() + Protocol.REPLY_PATH + "?"
                + Protocol.REPLY_ID_PARAMETER + "=" + URLEncoder.encode(actionId,
                        StandardCharsets.UTF_8));
    }
}
