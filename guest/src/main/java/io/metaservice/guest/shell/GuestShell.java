package io.metaservice.guest.shell;

import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * One shell on the guest's side: the websocket to the reply URL, the process, and the relays
 * of its three streams. {@link #run} blocks the shell's thread until the shell has ended.
 *
 * <p>In order: connect, start the process, relay stdin, stdout and stderr, resize on size
 * messages, and kill the process tree on abort. Once the process has exited, its output is
 * drained until it ends, or is quiet, or the drain maximum has passed (a background child can
 * keep it open). Then both streams are ended, the exit message goes out, and the connection is
 * closed normally. When the connection is lost first, the process tree is killed and no exit
 * message is sent.
 *
 * <p>Threads: the shell's thread runs {@link #run()}; the websocket's thread calls the
 * handler methods; each stream has a relay thread named after the shell. {@link #lock} guards
 * the fields that the handler changes; the relays are volatile because the handler reads them.
 */
final class GuestShell implements ShellSocket.Handler {

    private static final System.Logger LOG = System.getLogger(GuestShell.class.getName());

    /** Terminal size until the host sends one. */
    static final int DEFAULT_COLUMNS = 80;
    static final int DEFAULT_ROWS = 24;
    /** How long the relay threads may take to stop once the shell has ended. */
    private static final Duration THREAD_STOP_WAIT = Duration.ofSeconds(5);
    private static final String START_FAILURE_PREFIX = "metaservice: cannot start the shell: ";

    /** The end state of a shell. */
    enum Outcome { SUCCESS, FAILURE, ABORTED, CONNECTION_LOST }

    private final String name;
    private final String actionId;
    private final boolean tty;
    private final ShellCommand command;
    private final String startFailure;
    private final GuestShellTimeouts timeouts;
    private final ShellSocket socket;
    private final InputRelay input;
    private final Object lock = new Object();

    /** Set by an abort message. Guarded by {@link #lock}. */
    private boolean abortRequested;
    /** Set when the connection ended; the reason is in {@link #endReason}. Guarded. */
    private boolean connectionEnded;
    private String endReason;
    /** The latest terminal size. Guarded by {@link #lock}. */
    private int columns = DEFAULT_COLUMNS;
    private int rows = DEFAULT_ROWS;
    /** The process once started, else null. Guarded by {@link #lock}. */
    private ShellProcess process;

    /** The output relays once the process has started, else null. */
    private volatile OutputRelay stdout;
    private volatile OutputRelay stderr;

    /**
     * Creates a shell that runs {@code command}, or, when {@code startFailure} is not null,
     * only reports that message as a failure to start.
     */
    GuestShell(String name, String actionId, boolean tty, ShellCommand command,
            String startFailure, GuestShellTimeouts timeouts) {
        this.name = name;
        this.actionId = actionId;
        this.tty = tty;
        this.command = command;
        this.startFailure = startFailure;
        this.timeouts = timeouts;
        this.socket = new ShellSocket(actionId, timeouts, this);
        this.input = new InputRelay(name + "-stdin", socket);
    }

    String actionId() {
        return actionId;
    }

    /** Connects to {@code uri} and runs the shell to its end; returns how it ended. */
    Outcome run(HttpClient client, URI uri) throws InterruptedException {
        try {
            socket.connect(client, uri);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Shell {0}: cannot connect: {1}", actionId,
                    e.getMessage());
            return Outcome.CONNECTION_LOST;
        }
        LOG.log(System.Logger.Level.INFO, "Shell {0} connected", actionId);
        if (startFailure != null) {
            return reportStartFailure(startFailure);
        }
        ShellProcess started;
        try {
            started = startProcess();
        } catch (IOException e) {
            return reportStartFailure("cannot start " + command.argv().get(0) + ": "
                    + e.getMessage());
        }
        Outcome outcome = Outcome.CONNECTION_LOST;
        try {
            outcome = relay(started);
            return outcome;
        } finally {
            release(started, outcome);
        }
    }

    /** Ends the shell from outside: kills its process tree and drops the connection. */
    void stop(String reason) {
        socket.fail(ShellSocket.GOING_AWAY, reason);
    }

    /** Returns the most bytes of {@code stream} that were ever sent and not acknowledged. */
    long maxUnacknowledged(ShellStream stream) {
        OutputRelay relay = stream == ShellStream.STDOUT ? stdout : stderr;
        return relay == null ? 0 : relay.maxUnacknowledged();
    }

    @Override
    public void onMessage(ShellMessage message) {
        switch (message.type()) {
            case DATA -> {
                if (message.stream() != ShellStream.STDIN) {
                    return;
                }
                if (message.isEndOfStream()) {
                    input.end();
                } else if (!input.offer(message.payload())) {
                    socket.fail(ShellSocket.POLICY_VIOLATION, "the host sent stdin beyond the"
                            + " flow-control window of " + ShellProtocol.WINDOW_SIZE + " bytes");
                }
            }
            case ACK -> {
                OutputRelay relay = message.stream() == ShellStream.STDOUT ? stdout
                        : message.stream() == ShellStream.STDERR ? stderr : null;
                if (relay != null) {
                    relay.acknowledge(message.count());
                }
            }
            case SIZE -> resize(message.columns(), message.rows());
            case ABORT -> {
                synchronized (lock) {
                    abortRequested = true;
                    lock.notifyAll();
                }
            }
            default -> {
                // exit goes from the guest to the host only
            }
        }
    }

    @Override
    public void onEnded(String reason) {
        synchronized (lock) {
            connectionEnded = true;
            endReason = reason;
            lock.notifyAll();
        }
    }

    private ShellProcess startProcess() throws IOException {
        int startColumns;
        int startRows;
        synchronized (lock) {
            startColumns = columns;
            startRows = rows;
        }
        ShellProcess started = command.tty()
                ? TerminalShellProcess.start(command.argv(), command.environment(),
                        command.workdir(), startColumns, startRows)
                : PipeShellProcess.start(command.argv(), command.environment(), command.workdir());
        LOG.log(System.Logger.Level.INFO, "Shell {0} started as process {1}: {2}", actionId,
                Long.toString(started.pid()), command.argv());
        boolean resized;
        synchronized (lock) {
            process = started;
            resized = columns != startColumns || rows != startRows;
            startColumns = columns;
            startRows = rows;
        }
        // A size message that came while the process started has to be applied now.
        if (resized) {
            started.resize(startColumns, startRows);
        }
        return started;
    }

    private void resize(int newColumns, int newRows) {
        if (newColumns == 0 || newRows == 0) {
            return;
        }
        ShellProcess current;
        synchronized (lock) {
            columns = newColumns;
            rows = newRows;
            current = process;
        }
        if (current != null) {
            current.resize(newColumns, newRows);
        }
    }

    /** Runs the relays until both output streams have ended or the connection is lost. */
    private Outcome relay(ShellProcess started) throws InterruptedException {
        stdout = new OutputRelay(name + "-stdout", ShellStream.STDOUT, started.output(), socket);
        Optional<InputStream> errorOutput = started.errorOutput();
        if (errorOutput.isPresent()) {
            stderr = new OutputRelay(name + "-stderr", ShellStream.STDERR, errorOutput.get(),
                    socket);
        } else {
            // With a terminal, stderr is merged into stdout, and its own stream just ends.
            socket.send(ShellCodec.endOfStream(ShellStream.STDERR));
        }
        input.start(started);
        stdout.start();
        if (stderr != null) {
            stderr.start();
        }

        Outcome outcome = supervise(started);
        if (outcome != Outcome.CONNECTION_LOST) {
            socket.send(ShellCodec.exit(outcome == Outcome.SUCCESS));
            socket.closeNormally();
            LOG.log(System.Logger.Level.INFO, "Shell {0} ended: {1}", actionId, outcome);
        }
        return outcome;
    }

    /**
     * Waits for the process to exit and its output to be drained, checking the connection
     * every check period, and kills the process tree on abort.
     */
    private Outcome supervise(ShellProcess started) throws InterruptedException {
        long periodMillis = timeouts.checkPeriod().toMillis();
        boolean killed = false;
        long exitNanos = -1;
        while (true) {
            boolean abort;
            synchronized (lock) {
                if (!connectionEnded && (killed || !abortRequested)) {
                    lock.wait(periodMillis);
                }
                abort = abortRequested;
                if (connectionEnded) {
                    LOG.log(System.Logger.Level.WARNING, "Shell {0}: connection lost: {1}",
                            actionId, endReason);
                    return Outcome.CONNECTION_LOST;
                }
            }
            socket.check();
            if (abort && !killed) {
                killed = true;
                LOG.log(System.Logger.Level.INFO, "Shell {0}: aborted by the host, killing"
                        + " process tree {1}", actionId, Long.toString(started.pid()));
                started.killTree();
            }
            if (exitNanos < 0 && started.hasExited()) {
                exitNanos = System.nanoTime();
                started.exited();
                LOG.log(System.Logger.Level.INFO, "Shell {0}: process {1} exited with status {2}",
                        actionId, Long.toString(started.pid()), started.exitStatus());
            }
            if (exitNanos >= 0 && isDrained(exitNanos)) {
                if (killed) {
                    return Outcome.ABORTED;
                }
                return started.exitStatus() == 0 ? Outcome.SUCCESS : Outcome.FAILURE;
            }
        }
    }

    /** Stops relays whose drain is over; returns whether both output streams have ended. */
    private boolean isDrained(long exitNanos) {
        boolean drained = true;
        for (OutputRelay relay : Arrays.asList(stdout, stderr)) {
            if (relay == null || relay.isFinished()) {
                continue;
            }
            drained = false;
            if (relay.isDrained(exitNanos, timeouts.drainQuiet(), timeouts.drainMaximum())) {
                relay.stop();
            }
        }
        return drained;
    }

    /** Stops the relays and releases the process; kills its tree when the shell did not end. */
    private void release(ShellProcess started, Outcome outcome) throws InterruptedException {
        if (outcome == Outcome.CONNECTION_LOST || !started.hasExited()) {
            started.killTree();
        }
        input.stop();
        for (OutputRelay relay : Arrays.asList(stdout, stderr)) {
            if (relay != null) {
                relay.stop();
            }
        }
        boolean stopped = input.awaitFinished(THREAD_STOP_WAIT);
        for (OutputRelay relay : Arrays.asList(stdout, stderr)) {
            stopped &= relay == null || relay.awaitFinished(THREAD_STOP_WAIT);
        }
        if (!stopped) {
            // NOTE: a stdin write to a process that stopped reading blocks until the process
            //  tree is gone. Its thread is left to end by itself then.
            LOG.log(System.Logger.Level.WARNING, "Shell {0}: relay threads still running after"
                    + " {1} ms", actionId, THREAD_STOP_WAIT.toMillis());
        } else {
            started.close();
        }
        socket.abort();
    }

    private Outcome reportStartFailure(String message) throws InterruptedException {
        LOG.log(System.Logger.Level.WARNING, "Shell {0}: {1}", actionId, message);
        String text = START_FAILURE_PREFIX + message + (tty ? "\r\n" : "\n");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, ShellProtocol.BLOCK_SIZE);
        ShellStream target = tty ? ShellStream.STDOUT : ShellStream.STDERR;
        socket.send(ShellCodec.data(target, bytes, 0, length));
        socket.send(ShellCodec.endOfStream(ShellStream.STDOUT));
        socket.send(ShellCodec.endOfStream(ShellStream.STDERR));
        socket.send(ShellCodec.exit(false));
        socket.closeNormally();
        return Outcome.FAILURE;
    }
}
