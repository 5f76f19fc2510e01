package io.metaservice.cli.shell;

import io.metaservice.host.HostOperationException;
import io.metaservice.host.MetaService;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * The shell of {@code metaservice run --shell}: opened into the guest while the task runs, on
 * the thread {@code metaservice-run-shell}, and attached to this process's terminal, or to its
 * standard streams when standard input is not a terminal.
 *
 * <p>The task's result is held until the shell has ended: {@link #awaitEnd()} stops a shell
 * that is still being opened, so that none opens after the result, and waits for an open one.
 * {@link #lock} guards the state that both threads touch.
 */
public final class RunShell {

    private final MetaService service;
    private final PrintStream err;
    private final boolean tty;
    private final Thread thread;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Object lock = new Object();

    /** Set by {@link #awaitEnd()}. Guarded by {@link #lock}. */
    private boolean taskEnded;
    /** The open shell, or null before it opened. Guarded by {@link #lock}. */
    private HostShell shell;

    private RunShell(MetaService service, PrintStream err) {
        this.service = service;
        this.err = err;
        this.tty = ShellTerminal.isStandardInputTerminal();
        this.thread = new Thread(this::run, "metaservice-run-shell");
        this.thread.setDaemon(true);
    }

    /** Starts opening the guest's default shell; returns at once. */
    public static RunShell start(MetaService service, PrintStream err) {
        RunShell runShell = new RunShell(service, err);
        runShell.thread.start();
        return runShell;
    }

    /**
     * Waits until the shell has ended. A shell that is not open yet is not opened any more,
     * because the task's result has come.
     */
    public void awaitEnd() throws InterruptedException {
        synchronized (lock) {
            taskEnded = true;
            if (shell == null) {
                thread.interrupt();
            }
        }
        ended.await();
    }

    private void run() {
        try {
            HostShell opened = service.execShell(null, tty);
            synchronized (lock) {
                if (taskEnded) {
                    opened.abort();
                    return;
                }
                shell = opened;
            }
            err.println("metaservice: shell opened" + (tty ? "" : " without a terminal")
                    + "; the task's result waits until it ends");
            ShellResult result = tty
                    ? ShellTerminal.attachTerminal(opened)
                    : ShellTerminal.attachStreams(opened, new FileInputStream(FileDescriptor.in),
                            new FileOutputStream(FileDescriptor.out),
                            new FileOutputStream(FileDescriptor.err));
            err.println("metaservice: shell ended: " + result.name().toLowerCase(java.util.Locale.ROOT));
        } catch (InterruptedException e) {
            // The task ended before the shell opened.
        } catch (HostOperationException | IOException e) {
            err.println("metaservice: shell failed: " + e.getMessage());
        } finally {
            ended.countDown();
        }
    }
}
