package io.metaservice.cli.shell;

import io.metaservice.host.HostOperationException;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;
import org.jline.utils.NonBlockingInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches this process's terminal, or its standard streams, to a {@link HostShell} until the
 * shell ends. Any command that has a shell can use it.
 *
 * <p>With a terminal ({@link #attachTerminal}), the terminal is switched to raw mode through
 * JLine, so every key, Ctrl-C included, goes to the shell as typed, and window size changes
 * go to the shell as size messages. Output processing stays on. The previous mode comes back
 * when the shell ends. Without one ({@link #attachStreams}), bytes pass through unchanged and
 * the shell's stdout and stderr stay apart, as {@code docker exec -i} does.
 *
 * <p>Each attach copies input on a daemon thread named {@code metaservice-shell-input}, which
 * ends once the shell has ended.
 */
public final class ShellTerminal {

    private static final Logger LOG = LoggerFactory.getLogger(ShellTerminal.class);

    private static final int BUFFER_BYTES = 16 * 1024;
    /** How often a terminal read checks whether the shell has ended. */
    private static final long INPUT_POLL_MILLIS = 100;
    /** JLine's terminal providers in the order tried: the JNI binding, then stty commands. */
    private static final List<String> PROVIDERS = List.of("jni", "exec");

    private ShellTerminal() {
    }

    /**
     * Returns whether standard input is a terminal. Only then should a shell get a terminal of
     * its own, and only then does {@link #attachTerminal} work.
     */
    public static boolean isStandardInputTerminal() {
        for (String name : PROVIDERS) {
            try {
                return TerminalProvider.load(name).isSystemStream(SystemStream.Input);
            } catch (IOException | RuntimeException | LinkageError e) {
                LOG.debug("terminal provider {} is unavailable: {}", name, e.toString());
            }
        }
        return false;
    }

    /**
     * Relays this process's terminal to {@code shell}, which should have been opened with a
     * terminal, until the shell ends, and returns its result.
     *
     * @throws IOException if the terminal cannot be opened
     * @throws HostOperationException if the connection to the guest broke
     */
    public static ShellResult attachTerminal(HostShell shell)
            throws IOException, InterruptedException, HostOperationException {
        try (Terminal terminal = TerminalBuilder.builder()
                .system(true)
                .systemOutput(TerminalBuilder.SystemOutput.SysOutOrSysErr)
                .build()) {
            Attributes previous = terminal.enterRawMode();
            Attributes raw = terminal.getAttributes();
            // Ctrl-C, Ctrl-Z and Ctrl-\ are keys for the shell in the guest, not signals here.
            raw.setLocalFlag(Attributes.LocalFlag.ISIG, false);
            terminal.setAttributes(raw);
            try {
                terminal.handle(Terminal.Signal.WINCH, signal -> sendSize(shell, terminal));
                sendSize(shell, terminal);
                Thread input = startInputCopy(() -> copyTerminalInput(terminal, shell));
                copy(shell.stdout(), terminal.output());
                copy(shell.stderr(), terminal.output());
                ShellResult result = shell.waitFor();
                input.interrupt();
                return result;
            } finally {
                terminal.setAttributes(previous);
                terminal.flush();
            }
        }
    }

    /**
     * Relays {@code in} to the shell's stdin, ending it at end of input, and the shell's
     * stdout and stderr to {@code out} and {@code err}, until the shell ends. Returns its
     * result.
     *
     * @throws HostOperationException if the connection to the guest broke
     */
    public static ShellResult attachStreams(HostShell shell, InputStream in, OutputStream out,
            OutputStream err) throws InterruptedException, HostOperationException {
        startInputCopy(() -> copyInput(in, shell));
        CompletableFuture<Void> errors = CompletableFuture.runAsync(() -> copyQuietly(shell.stderr(), err),
                runnable -> startThread(runnable, "metaservice-shell-stderr"));
        copyQuietly(shell.stdout(), out);
        try {
            errors.get();
        } catch (ExecutionException e) {
            LOG.debug("copying the shell's stderr failed: {}", e.getCause().toString());
        }
        return shell.waitFor();
    }

    private static void sendSize(HostShell shell, Terminal terminal) {
        Size size = terminal.getSize();
        if (size.getColumns() <= 0 || size.getRows() <= 0) {
            return;
        }
        try {
            shell.setSize(Math.min(size.getColumns(), 0xffff), Math.min(size.getRows(), 0xffff));
        } catch (IOException e) {
            LOG.debug("cannot send the terminal size: {}", e.toString());
        }
    }

    /** Copies keys until the shell's stdin closes; reads wait at most a poll interval. */
    private static void copyTerminalInput(Terminal terminal, HostShell shell) {
        InputStream input = terminal.input();
        byte[] buffer = new byte[BUFFER_BYTES];
        try {
            while (!shell.result().isDone() && !Thread.currentThread().isInterrupted()) {
                int count = input instanceof NonBlockingInputStream nonBlocking
                        ? nonBlocking.readBuffered(buffer, INPUT_POLL_MILLIS)
                        : input.read(buffer);
                if (count == NonBlockingInputStream.READ_EXPIRED) {
                    continue;
                }
                if (count < 0) {
                    shell.stdin().close();
                    return;
                }
                shell.stdin().write(buffer, 0, count);
                shell.stdin().flush();
            }
        } catch (IOException e) {
            LOG.debug("stopped copying the terminal to the shell: {}", e.toString());
        }
    }

    private static void copyInput(InputStream in, HostShell shell) {
        byte[] buffer = new byte[BUFFER_BYTES];
        try {
            for (int count = in.read(buffer); count >= 0; count = in.read(buffer)) {
                shell.stdin().write(buffer, 0, count);
                shell.stdin().flush();
            }
            shell.stdin().close();
        } catch (IOException e) {
            LOG.debug("stopped copying standard input to the shell: {}", e.toString());
        }
    }

    private static void copy(InputStream from, OutputStream to) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        try {
            for (int count = from.read(buffer); count >= 0; count = from.read(buffer)) {
                to.write(buffer, 0, count);
                to.flush();
            }
        } catch (IOException e) {
            // A broken connection also fails the shell's result, which the caller reports.
            LOG.debug("shell output ended early: {}", e.toString());
        }
    }

    private static void copyQuietly(InputStream from, OutputStream to) {
        try {
            copy(from, to);
        } catch (IOException e) {
            LOG.debug("cannot write the shell's output: {}", e.toString());
        }
    }

    private static Thread startInputCopy(Runnable copier) {
        return startThread(copier, "metaservice-shell-input");
    }

    private static Thread startThread(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
