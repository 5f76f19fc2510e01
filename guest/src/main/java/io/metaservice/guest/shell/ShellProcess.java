package io.metaservice.guest.shell;

import io.metaservice.guest.internal.ProcessTreeKiller;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * The process of one shell with its streams: on a pseudo-terminal ({@link TerminalShellProcess})
 * or on pipes ({@link PipeShellProcess}).
 *
 * <p>Output streams support {@code close()} from another thread, which ends a waiting read.
 * The shell's own thread calls the other methods, except {@link #resize}, which the websocket's
 * thread calls.
 */
abstract class ShellProcess implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ShellProcess.class.getName());

    private final Process process;
    /** The handle taken right after the start, so that a reused process id is noticed. */
    private final Optional<ProcessHandle> handle;

    ShellProcess(Process process) {
        this.process = process;
        this.handle = ProcessHandle.of(process.pid());
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    /** Returns whether the process has exited. */
    boolean hasExited() {
        return !process.isAlive();
    }

    /** Returns the exit status; valid once {@link #hasExited()} is true. */
    int exitStatus() {
        return process.exitValue();
    }

    /** Returns the stream that the process reads as its standard input. */
    abstract OutputStream input();

    /** Ends the process's standard input, after the bytes written before. */
    abstract void endInput() throws IOException;

    /** Returns the process's standard output; with a terminal, stderr is merged into it. */
    abstract InputStream output();

    /** Returns the process's standard error, or empty when it is merged into the output. */
    abstract Optional<InputStream> errorOutput();

    /** Sets the terminal size; does nothing without a terminal. */
    abstract void resize(int columns, int rows);

    /** Called once after the process has exited, before its output is drained. */
    abstract void exited();

    /** Kills the process and every process it started, also those it left as orphans. */
    void killTree() {
        try {
            int killed = ProcessTreeKiller.killTree(process.pid(), handle);
            LOG.log(System.Logger.Level.DEBUG, "Killed shell process tree {0}: {1} processes",
                    Long.toString(process.pid()), killed);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "Cannot kill shell process tree {0}: {1}",
                    Long.toString(process.pid()), e.getMessage());
        }
    }

    /** Releases the streams and descriptors; call it once no thread reads the output. */
    @Override
    public abstract void close();
}
