package io.metaservice.guest.internal;

import com.pty4j.PtyProcess;
import com.pty4j.WinSize;
import com.pty4j.unix.CLibrary;
import com.pty4j.unix.Pty;
import com.pty4j.unix.UnixPtyProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts a process on a new pseudo-terminal that passes output bytes through unchanged.
 *
 * <p>A terminal's default line discipline turns {@code \n} into {@code \r\n} and echoes input.
 * For a task, the launcher turns output processing and echo off with {@code stty -F} on the
 * terminal before the process starts, so that no byte can get through before the change. An
 * interactive shell keeps the default settings and only gets its size. The process leads a
 * new session whose controlling terminal is the pseudo-terminal, and its stdout and stderr
 * both go to the terminal.
 *
 * <p>Stateless and thread-safe.
 */
public final class PtyLauncher {

    private static final System.Logger LOG = System.getLogger(PtyLauncher.class.getName());

    /** The terminal size that the task gets, in columns and rows. */
    static final int COLUMNS = 80;
    static final int ROWS = 24;
    /** The {@code stty} settings of a task's terminal: raw output, no echo, the task's size. */
    static final List<String> TASK_SETTINGS = List.of("-opost", "-echo",
            "cols", Integer.toString(COLUMNS), "rows", Integer.toString(ROWS));
    private static final long STTY_TIMEOUT_SECONDS = 10;
    private static final int MAX_STTY_OUTPUT_BYTES = 4096;

    /**
     * A started process and its pseudo-terminal. Read the output with {@link #output()}, call
     * {@link #releaseSlave()} once the process has exited, and {@link #close()} once reading
     * has stopped.
     *
     * <p>Thread-safe: {@link #slaveFd} is closed at most once.
     */
    public static final class Terminal implements AutoCloseable {

        private final PtyProcess process;
        private final Pty pty;
        private final AtomicInteger slaveFd;

        private Terminal(PtyProcess process, Pty pty, int slaveFd) {
            this.process = process;
            this.pty = pty;
            this.slaveFd = new AtomicInteger(slaveFd);
        }

        public PtyProcess process() {
            return process;
        }

        /** Returns a new stream of the terminal's output. */
        public TerminalInput output() {
            return new TerminalInput(pty.getMasterFD());
        }

        /**
         * Sets the terminal's size, in character cells. The kernel sends SIGWINCH to the
         * terminal's foreground process group when the size changes.
         */
        public void resize(int columns, int rows) {
            process.setWinSize(new WinSize(columns, rows));
        }

        /**
         * Closes the agent's own slave descriptor, so that the output ends once no other
         * process has the terminal open. Safe to call more than once.
         */
        public void releaseSlave() {
            int fd = slaveFd.getAndSet(-1);
            if (fd >= 0) {
                CLibrary.close(fd);
            }
        }

        /** Closes the terminal. A process that still has it open gets a hang-up. */
        @Override
        public void close() {
            releaseSlave();
            try {
                pty.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "Closing the terminal failed", e);
            }
        }
    }

    private PtyLauncher() {
    }

    /**
     * Starts {@code command}, whose first element is an absolute program path, with exactly
     * the variables of {@code environment}, in {@code workdir}, on a terminal with the
     * settings of a task: {@link #TASK_SETTINGS}.
     *
     * @throws IOException if the terminal cannot be opened or the process cannot start
     */
    static Terminal start(List<String> command, Map<String, String> environment, Path workdir)
            throws IOException {
        return start(command, environment, workdir, TASK_SETTINGS);
    }

    /**
     * Starts {@code command} as {@link #start(List, Map, Path)} does, on a terminal changed by
     * the {@code stty} arguments {@code settings}, such as {@code cols 100 rows 37}.
     *
     * @throws IOException if the terminal cannot be opened or the process cannot start
     */
    public static Terminal start(List<String> command, Map<String, String> environment,
            Path workdir, List<String> settings) throws IOException {
        Pty pty = new Pty();
        int slaveFd = -1;
        try {
            slaveFd = openSlave(pty.getSlaveName());
            configure(pty.getSlaveName(), settings);
            PtyProcess process = newProcess(command, environment, workdir, pty);
            return new Terminal(process, pty, slaveFd);
        } catch (IOException | RuntimeException e) {
            if (slaveFd >= 0) {
                CLibrary.close(slaveFd);
            }
            pty.close();
            throw e;
        }
    }

    /**
     * Opens the terminal's slave side in the agent. While it is open, the master never reports
     * a hang-up. Without it, the master reports one between {@code stty} closing the slave and
     * the child opening it, and a reader would stop before the task's first byte.
     */
    private static int openSlave(String slaveName) throws IOException {
        int fd = CLibrary.open(slaveName, CLibrary.O_RDWR | CLibrary.O_NOCTTY);
        if (fd < 0) {
            throw new IOException("cannot open terminal " + slaveName + ": errno "
                    + CLibrary.errno());
        }
        return fd;
    }

    // pty4j 0.13.4 has no public way to change the terminal between opening it and starting
    // the process, except through this constructor, which it marks deprecated.
    @SuppressWarnings("deprecation")
    private static PtyProcess newProcess(
            List<String> command, Map<String, String> environment, Path workdir, Pty pty)
            throws IOException {
        String[] variables = environment.entrySet().stream()
                .map(variable -> variable.getKey() + "=" + variable.getValue())
                .toArray(String[]::new);
        return new UnixPtyProcess(
                command.toArray(String[]::new), variables, workdir.toString(), pty, null, false);
    }

    /**
     * Applies {@code stty} settings to the terminal. When {@code stty} is missing or fails, the
     * process still runs on a terminal with the default settings, so a task's log gets
     * {@code \r\n} line ends.
     */
    private static void configure(String terminal, List<String> settings) throws IOException {
        List<String> command = new ArrayList<>(List.of("stty", "-F", terminal));
        command.addAll(settings);
        Process stty;
        try {
            stty = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Cannot run stty, the terminal keeps its default"
                    + " settings: {0}", e.getMessage());
            return;
        }
        try (InputStream output = stty.getInputStream()) {
            byte[] message = output.readNBytes(MAX_STTY_OUTPUT_BYTES);
            if (!stty.waitFor(STTY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                stty.destroyForcibly();
                throw new IOException("stty did not finish within " + STTY_TIMEOUT_SECONDS + " s");
            }
            if (stty.exitValue() != 0) {
                LOG.log(System.Logger.Level.WARNING, "stty failed with status {0}, the terminal"
                        + " keeps its default settings: {1}", stty.exitValue(),
                        new String(message, StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            stty.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while configuring the terminal", e);
        }
    }
}
