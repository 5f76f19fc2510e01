package io.metaservice.guest.shell;

import io.metaservice.guest.internal.PtyLauncher;
import io.metaservice.guest.internal.TerminalInput;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A shell process on a new pseudo-terminal with the default line discipline (echo, line
 * editing, {@code \n} to {@code \r\n} on output), as an interactive shell expects. Its stderr
 * goes to the terminal too.
 *
 * <p>A terminal has no end of input of its own. {@link #endInput()} types the terminal's EOF
 * character instead, so that the shell still runs the lines typed before and then reads the
 * end of its input.
 */
final class TerminalShellProcess extends ShellProcess {

    /** VEOF of a new Linux terminal: Ctrl-D. A program that changes VEOF is not followed. */
    private static final int EOF_CHARACTER = 0x04;

    private final PtyLauncher.Terminal terminal;
    private final TerminalInput output;
    private final LastByteOutputStream input;

    private TerminalShellProcess(PtyLauncher.Terminal terminal) {
        super(terminal.process());
        this.terminal = terminal;
        this.output = terminal.output();
        this.input = new LastByteOutputStream(terminal.process().getOutputStream());
    }

    /**
     * Starts {@code argv}, whose first element is an absolute program path, on a terminal of
     * {@code columns} by {@code rows} cells.
     */
    static TerminalShellProcess start(List<String> argv, Map<String, String> environment,
            Path workdir, int columns, int rows) throws IOException {
        List<String> settings = List.of(
                "cols", Integer.toString(columns), "rows", Integer.toString(rows));
        return new TerminalShellProcess(PtyLauncher.start(argv, environment, workdir, settings));
    }

    @Override
    OutputStream input() {
        return input;
    }

    /**
     * Types Ctrl-D. In canonical mode, Ctrl-D after an unfinished line only hands that line to
     * the reader, so a second Ctrl-D follows it to end the input.
     */
    @Override
    void endInput() throws IOException {
        int last = input.lastByte();
        boolean unfinishedLine = last >= 0 && last != '\n' && last != '\r';
        input.write(EOF_CHARACTER);
        if (unfinishedLine) {
            input.write(EOF_CHARACTER);
        }
        input.flush();
    }

    @Override
    InputStream output() {
        return output;
    }

    @Override
    Optional<InputStream> errorOutput() {
        return Optional.empty();
    }

    @Override
    void resize(int columns, int rows) {
        terminal.resize(columns, rows);
    }

    /** Closes the agent's slave descriptor, so that the output ends with the last holder. */
    @Override
    void exited() {
        terminal.releaseSlave();
    }

    @Override
    public void close() {
        output.close();
        terminal.close();
    }

    /** Remembers the last byte written, or -1 before the first. */
    private static final class LastByteOutputStream extends FilterOutputStream {

        /** Written by the stdin thread, read by it in {@link #endInput()}. */
        private volatile int lastByte = -1;

        LastByteOutputStream(OutputStream target) {
            super(target);
        }

        int lastByte() {
            return lastByte;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            lastByte = b & 0xff;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            if (length > 0) {
                lastByte = bytes[offset + length - 1] & 0xff;
            }
        }
    }
}
