package io.metaservice.guest.internal;

import com.pty4j.PtyProcess;
import io.metaservice.guest.GuestConfig;
import io.metaservice.protocol.Execute;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the task's command on a pseudo-terminal and copies its output into the log.
 *
 * <p>The command is the configured entrypoint followed by the task's command. The environment
 * is the agent's, overridden by the configured {@code env}, overridden by the task's
 * {@code env}. The working folder and user come from the configuration. When the task cannot
 * start, the reason goes into the log and {@link #run} returns {@link #START_FAILED}.
 *
 * <p>{@link #run} blocks the calling thread until the task exits, and the output is copied on
 * an {@link OutputPump} thread.
 */
public final class TaskRunner {

    private static final System.Logger LOG = System.getLogger(TaskRunner.class.getName());

    /** The status {@link #run} returns for a task that could not start. */
    public static final int START_FAILED = -1;
    /** How long the terminal may stay silent after the task exits before the log ends. */
    static final Duration DRAIN_QUIET = Duration.ofMillis(500);
    /** The maximum wait for the rest of the output after the task exits. */
    static final Duration DRAIN_MAXIMUM = Duration.ofSeconds(10);

    private final GuestConfig config;
    private final Path workdir;
    private final TaskControl control;

    public TaskRunner(GuestConfig config, Path workdir, TaskControl control) {
        this.config = config;
        this.workdir = workdir;
        this.control = control;
    }

    /**
     * Runs the task and returns its exit status, or {@link #START_FAILED}. Interrupting the
     * thread kills the task's process tree.
     */
    public int run(Execute execute, LogUpload log) throws InterruptedException {
        PtyLauncher.Terminal terminal;
        try {
            terminal = start(execute);
        } catch (TaskStartException e) {
            LOG.log(System.Logger.Level.WARNING, "Task could not start: {0}", e.getMessage());
            log.writeMessage("the task could not start: " + e.getMessage());
            return START_FAILED;
        }
        try (terminal) {
            return waitForExit(terminal, log);
        }
    }

    /** Copies the output of the started task into the log until the task exits. */
    private int waitForExit(PtyLauncher.Terminal terminal, LogUpload log)
            throws InterruptedException {
        PtyProcess process = terminal.process();
        String pid = Long.toString(process.pid());
        LOG.log(System.Logger.Level.INFO, "Task started as process {0}", pid);
        OutputPump pump = new OutputPump(terminal.output(), log);
        pump.start();
        if (!control.register(process.pid())) {
            log.writeMessage("the task was killed as it started");
            control.kill();
        }

        int status;
        try {
            status = process.waitFor();
        } catch (InterruptedException e) {
            control.kill();
            pump.stop(DRAIN_MAXIMUM);
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "Task process {0} exited with status {1}", pid, status);
        terminal.releaseSlave();
        pump.drain(DRAIN_QUIET, DRAIN_MAXIMUM);
        return status;
    }

    private PtyLauncher.Terminal start(Execute execute) throws TaskStartException {
        List<String> command = new ArrayList<>(config.entrypoint());
        command.addAll(execute.command());
        if (command.isEmpty()) {
            throw new TaskStartException("the task has no command and no entrypoint is set");
        }
        if (!Files.isDirectory(workdir)) {
            throw new TaskStartException("working folder " + workdir + " is not a folder");
        }
        Map<String, String> environment =
                TaskEnvironment.layer(System.getenv(), config.env(), execute.env());

        List<String> argv =
                ProcessCommand.argv(command, config.user(), environment.get("PATH"), workdir);

        if (control.isKillRequested()) {
            throw new TaskStartException("the task was killed before it started");
        }
        try {
            return PtyLauncher.start(argv, environment, workdir);
        } catch (IOException e) {
            throw new TaskStartException(
                    "cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
    }
}
