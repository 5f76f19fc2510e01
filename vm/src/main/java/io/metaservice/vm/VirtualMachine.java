package io.metaservice.vm;

import io.metaservice.host.GuestServer;
import io.metaservice.vm.internal.AcceleratorProbe;
import io.metaservice.vm.internal.DeleteTree;
import io.metaservice.vm.internal.NetworkNamespace;
import io.metaservice.vm.internal.QemuCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest booted from a {@link GuestImage} in QEMU, without root and without TAP devices. The
 * guest's meta-data service is served on a Unix domain socket of this machine's own, which the
 * guest reaches at {@code 169.254.169.254:80} through QEMU's forward (see {@code QemuCommand}).
 * The serial console goes to a file, {@link #consoleLog()}.
 *
 * <p>Life cycle: {@link #start} returns once QEMU runs; the machine is killed when the deadline
 * passes, when {@link #close()} is called, when this JVM shuts down (a shutdown hook, so Ctrl-C
 * too), and when this JVM dies (QEMU gets SIGKILL through the parent-death signal that
 * {@code setpriv} sets, when util-linux provides it). {@link #close()} also kills every process
 * QEMU started, stops the server and deletes the run folder.
 *
 * <p>Thread-safe; {@code this} guards the closing state.
 */
public final class VirtualMachine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VirtualMachine.class);

    /** How long QEMU may take to exit after SIGTERM before it gets SIGKILL. */
    static final Duration STOP_GRACE = Duration.ofSeconds(5);
    /** Characters that are safe in QEMU options, socat addresses and GLib's argument splitting. */
    private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9/._-]+");
    private static final int CONSOLE_TAIL_CHARS = 4000;

    private final Path runFolder;
    private final GuestServer server;
    private final Process qemu;
    private final Accelerator accelerator;
    private final boolean isolated;
    private final Path consoleLog;
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService timer;
    private final Thread shutdownHook;
    /** Set when the deadline struck. */
    private volatile boolean deadlineExpired;
    private boolean closed;

    private VirtualMachine(Path runFolder, GuestServer server, Process qemu, Accelerator accelerator,
            boolean isolated, Path consoleLog, Duration deadline) {
        this.runFolder = runFolder;
        this.server = server;
        this.qemu = qemu;
        this.accelerator = accelerator;
        this.isolated = isolated;
        this.consoleLog = consoleLog;
        this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "metaservice-vm-deadline");
            thread.setDaemon(true);
            return thread;
        });
        timer.schedule(this::expire, deadline.toMillis(), TimeUnit.MILLISECONDS);
        this.shutdownHook = new Thread(this::close, "metaservice-vm-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Serves {@code service} on a new Unix domain socket and boots {@code image} in QEMU.
     *
     * @throws MissingToolException when QEMU or socat is missing
     * @throws VmException when the server or QEMU cannot start, or a required network namespace
     *     is not available
     */
    public static VirtualMachine start(GuestImage image, Handler service, VmOptions options)
            throws VmException, InterruptedException {
        Path qemuBinary = HostTools.require(HostTools.QEMU, HostTools.QEMU_PACKAGE);
        Path socat = HostTools.require(HostTools.SOCAT, HostTools.SOCAT_PACKAGE);
        List<String> isolation = isolationPrefix(options.networkIsolation());
        Accelerator accelerator = options.accelerator() != null
                ? options.accelerator()
                : AcceleratorProbe.detect(qemuBinary, image.kernel(), cacheFolder());

        Path runFolder = createRunFolder();
        GuestServer server = null;
        try {
            QemuCommand.RunFiles files = new QemuCommand.RunFiles(runFolder.resolve("guest.sock"),
                    runFolder.resolve("console.log"), runFolder.resolve("forward.log"));
            server = GuestServer.startUnix(service, files.serviceSocket());
            List<String> command = new ArrayList<>(isolation);
            HostTools.find(HostTools.SETPRIV).ifPresent(setpriv ->
                    command.addAll(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--")));
            command.addAll(QemuCommand.build(qemuBinary, socat, image, options, accelerator, files));
            Process process = OwnerThread.launch(command, runFolder.resolve("qemu.log"));
            LOG.info("started QEMU, process {}, with {} in {} (accelerator {}, {} MiB, {} CPUs, network"
                    + " namespace {}), deadline {} s", process.pid(), image.kernel().getFileName(),
                    image.folder(), accelerator, options.memoryMiB(), options.cpus(),
                    isolation.isEmpty() ? "none" : "own", options.deadline().toSeconds());
            return new VirtualMachine(runFolder, server, process, accelerator, !isolation.isEmpty(),
                    files.serialLog(), options.deadline());
        } catch (Exception e) {
            stopServer(server);
            DeleteTree.delete(runFolder);
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            if (e instanceof VmException failure) {
                throw failure;
            }
            throw new VmException("cannot start the virtual machine: " + e.getMessage(), e);
        }
    }

    /** Returns the accelerator in use. */
    public Accelerator accelerator() {
        return accelerator;
    }

    /** Returns whether QEMU runs in a network namespace of its own. */
    public boolean isNetworkIsolated() {
        return isolated;
    }

    /** Returns the process id of QEMU. */
    public long pid() {
        return qemu.pid();
    }

    /** Returns the time since QEMU started. */
    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** Completes with QEMU's exit status when it exits. */
    public CompletableFuture<Integer> onExit() {
        return qemu.onExit().thenApply(Process::exitValue);
    }

    /** Returns whether the deadline has struck. */
    public boolean deadlineExpired() {
        return deadlineExpired;
    }

    /** Returns the file that receives the serial console; it is deleted by {@link #close()}. */
    public Path consoleLog() {
        return consoleLog;
    }

    /** Returns the last few thousand characters of the serial console. */
    public String consoleTail() {
        try {
            return tail(Files.readString(consoleLog, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            return "(no console output: " + e.getMessage() + ")";
        }
    }

    /** Copies the serial console to {@code target}, for a report that outlives the machine. */
    public void saveConsole(Path target) throws IOException {
        Files.copy(consoleLog, target, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Waits for {@code future}, such as the task result, while the machine runs.
     *
     * @throws VmException when QEMU exits or the deadline strikes first; the message ends with
     *     the tail of the serial console
     */
    public <T> T await(CompletableFuture<T> future) throws VmException, InterruptedException {
        try {
            CompletableFuture.anyOf(future, qemu.onExit()).get();
            if (future.isDone()) {
                return future.get();
            }
        } catch (ExecutionException e) {
            throw new VmException("waiting in the virtual machine failed: " + e.getCause(), e.getCause());
        }
        String reason = deadlineExpired
                ? "the virtual machine was stopped at its deadline"
                : "the virtual machine exited with status " + qemu.exitValue();
        throw new VmException(reason + " after " + uptime().toSeconds() + " s, before the guest was done;"
                + " serial console:\n" + consoleTail() + qemuOutput());
    }

    /**
     * Powers the machine off: SIGTERM to QEMU, SIGKILL after {@link #STOP_GRACE}, then SIGKILL to
     * every process it started that is still alive; stops the server and deletes the run folder.
     * Later calls do nothing.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        timer.shutdownNow();
        stop();
        stopServer(server);
        DeleteTree.delete(runFolder);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down and this is the hook.
        }
        LOG.info("virtual machine {} stopped after {} s", qemu.pid(), uptime().toSeconds());
    }

    private void expire() {
        deadlineExpired = true;
        LOG.warn("virtual machine {} reached its deadline; killing it", qemu.pid());
        stop();
    }

    private void stop() {
        List<ProcessHandle> children = new ArrayList<>(qemu.descendants().toList());
        if (qemu.isAlive()) {
            qemu.destroy();
            if (!waitFor(qemu.toHandle(), STOP_GRACE)) {
                LOG.warn("QEMU {} did not exit within {} ms of SIGTERM; killing it", qemu.pid(),
                        STOP_GRACE.toMillis());
                children.addAll(qemu.descendants().toList());
                qemu.destroyForcibly();
                waitFor(qemu.toHandle(), STOP_GRACE);
            }
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                child.destroyForcibly();
                if (!waitFor(child, STOP_GRACE)) {
                    LOG.warn("process {} started by QEMU is still alive", child.pid());
                }
            }
        }
    }

    private String qemuOutput() {
        try {
            String output = Files.readString(runFolder.resolve("qemu.log"), StandardCharsets.UTF_8).strip();
            return output.isEmpty() ? "" : "\nQEMU output:\n" + tail(output);
        } catch (IOException e) {
            return "";
        }
    }

    private static List<String> isolationPrefix(NetworkIsolation isolation) throws VmException, InterruptedException {
        if (isolation == NetworkIsolation.NONE) {
            return List.of();
        }
        Optional<List<String>> prefix = NetworkNamespace.prefix();
        if (prefix.isEmpty() && isolation == NetworkIsolation.REQUIRED) {
            throw new VmException("a network namespace is required but this host allows none: run as"
                    + " root, or enable unprivileged user namespaces; unshare (util-linux) and ip"
                    + " (iproute2) must be installed");
        }
        return prefix.orElse(List.of());
    }

    private static Path createRunFolder() throws VmException {
        Path base = Path.of(System.getProperty("java.io.tmpdir"));
        if (!SAFE_PATH.matcher(base.toAbsolutePath().toString()).matches()) {
            base = Path.of("/tmp");
        }
        try {
            return Files.createTempDirectory(base, "metaservice-vm-");
        } catch (IOException e) {
            throw new VmException("cannot create a run folder in " + base + ": " + e.getMessage(), e);
        }
    }

    private static Path cacheFolder() {
        String cache = System.getenv("XDG_CACHE_HOME");
        if (cache != null && !cache.isEmpty()) {
            return Path.of(cache, "metaservice");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "metaservice");
    }

    private static void stopServer(GuestServer server) {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (Exception e) {
            LOG.warn("cannot stop the guest API server: {}", e.toString());
        }
    }

    private static boolean waitFor(ProcessHandle handle, Duration limit) {
        try {
            handle.onExit().get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    private static String tail(String text) {
        return text.length() <= CONSOLE_TAIL_CHARS ? text : "..." + text.substring(text.length() - CONSOLE_TAIL_CHARS);
    }

    /**
     * Starts QEMU from a thread that lives exactly as long as QEMU. The parent-death signal
     * fires when the thread that started a process ends, not the whole JVM, so the starting
     * thread must not be a caller's thread that may end first.
     */
    private static final class OwnerThread {
        private OwnerThread() {
        }

        static Process launch(List<String> command, Path outputFile) throws IOException, InterruptedException {
            CompletableFuture<Process> started = new CompletableFuture<>();
            Thread owner = new Thread(() -> {
                Process process;
                try {
                    process = new ProcessBuilder(command)
                            .redirectErrorStream(true)
                            .redirectOutput(outputFile.toFile())
                            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                            .start();
                } catch (IOException | RuntimeException e) {
                    started.completeExceptionally(e);
                    return;
                }
                started.complete(process);
                while (true) {
                    try {
                        process.waitFor();
                        return;
                    } catch (InterruptedException e) {
                        // Only the exit of QEMU ends this thread.
                    }
                }
            }, "metaservice-vm-owner");
            owner.setDaemon(true);
            owner.start();
            try {
                return started.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException failure) {
                    throw failure;
                }
                throw new IOException("cannot start QEMU: " + e.getCause(), e.getCause());
            }
        }
    }
}
