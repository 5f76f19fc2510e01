package io.metaservice.cli;

import io.metaservice.cli.internal.ArtifactCollector;
import io.metaservice.cli.internal.ArtifactRequest;
import io.metaservice.cli.internal.ArtifactStore;
import io.metaservice.cli.internal.ListedFiles;
import io.metaservice.cli.internal.ListenAddress;
import io.metaservice.cli.internal.LocalGuest;
import io.metaservice.cli.internal.RunDeadline;
import io.metaservice.cli.internal.RunResources;
import io.metaservice.cli.internal.StandardOutputSink;
import io.metaservice.cli.internal.UnsafePathException;
import io.metaservice.cli.shell.RunShell;
import io.metaservice.host.GuestServer;
import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import io.metaservice.vm.GuestImage;
import io.metaservice.vm.ImageBuilder;
import io.metaservice.vm.VirtualMachine;
import io.metaservice.vm.VmException;
import io.metaservice.vm.VmOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code metaservice run}: serves one task on a loopback meta-data service, runs it in a local
 * guest agent process (or waits for an external guest), prints its log to standard output and
 * pulls the requested artifacts.
 */
@Command(
        name = RunCommand.NAME,
        mixinStandardHelpOptions = true,
        sortOptions = false,
        showEndOfOptionsDelimiterInUsageHelp = true,
        description = {
            "Runs COMMAND through the meta-data service, in a guest agent started as a local"
                    + " process in a new temporary working folder.",
            "Standard output carries exactly the task log. After the task has ended, each"
                    + " requested artifact is copied into the artifacts folder, and a one-line"
                    + " summary goes to standard error."
        },
        footer = {"", "Exit codes: 0 when the task succeeded and its whole log and every artifact"
                + " were written, 1 otherwise (also when standard output is a pipe that closed"
                + " early), 2 for a usage error."})
public final class RunCommand implements Callable<Integer> {

    static final String NAME = "run";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--artifact", paramLabel = "GUEST_PATH",
            description = {"File or folder to copy from the guest after the task; repeatable.",
                "A relative path is resolved against the guest's working folder and keeps its"
                        + " relative path; an absolute path lands under its last name."})
    private List<String> artifacts = new ArrayList<>();

    @Option(names = "--artifacts-dir", paramLabel = "DIR", defaultValue = "artifacts",
            description = "Folder that receives the artifacts (default: ${DEFAULT-VALUE}).")
    private Path artifactsDir;

    @Option(names = "--env", paramLabel = "NAME=VALUE",
            description = "Environment variable for the task; repeatable. It overrides the"
                    + " agent's own environment.")
    private Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--listen", paramLabel = "ADDR", converter = ListenAddressConverter.class,
            description = {"Where to serve the guest API: a loopback HOST:PORT such as"
                    + " 127.0.0.1:8080 (port 0 picks a free port), or unix:PATH for a new Unix"
                    + " domain socket. Default: a free port on 127.0.0.1.",
                "unix:PATH needs --no-local-guest, because the local agent connects over TCP."})
    private ListenAddress listen = ListenAddress.DEFAULT;

    @Option(names = "--no-local-guest",
            description = "Start no agent; print the address served on and wait for an external"
                    + " guest, such as a virtual machine.")
    private boolean noLocalGuest;

    @Option(names = "--shell",
            description = {"Open the guest's default shell while the task runs and attach this"
                    + " terminal to it (raw mode, window size changes forwarded). When standard"
                    + " input is not a terminal, the shell has no terminal either: piped input"
                    + " reaches it unchanged, and its stdout and stderr stay apart.",
                "The task's result waits until the shell has ended, and the task log goes to"
                        + " standard error, so that standard output carries the shell's output."})
    private boolean shell;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Stop the run and exit 1 after this many seconds (default: no limit;"
                    + " with --vm, the virtual machine's deadline of one hour).")
    private Long timeoutSeconds;

    @Option(names = "--vm",
            description = {"Run the task in a virtual machine: QEMU boots the guest image, whose"
                    + " agent reaches the service through QEMU's user-mode network. Needs no root.",
                "Artifact paths are paths in the guest; relative ones start from /work."})
    private boolean vm;

    @Option(names = "--image", paramLabel = "DIR",
            description = "Guest image for --vm, from 'metaservice image build' (default:"
                    + " ${DEFAULT-VALUE}).")
    private Path image = GuestImage.defaultFolder();

    @Option(names = "--memory", paramLabel = "MiB",
            description = "Memory of the virtual machine in MiB, for --vm (default: ${DEFAULT-VALUE}).")
    private int memoryMiB = VmOptions.DEFAULT_MEMORY_MIB;

    @Option(names = "--cpus", paramLabel = "N",
            description = "Virtual CPUs of the virtual machine, for --vm (default: ${DEFAULT-VALUE}).")
    private int cpus = VmOptions.DEFAULT_CPUS;

    @Parameters(paramLabel = "COMMAND", arity = "1..*",
            description = "The task's command and its arguments, run by the guest agent.")
    private List<String> command;

    /** Completes with a reason once the guest can no longer answer host operations. */
    private CompletableFuture<String> guestGone;

    @Override
    public Integer call() throws IOException {
        // The task log, progress lines and the summary are the output; routine INFO logging of
        // the service and the local agent would drown them. --verbose brings it back.
        Main.quietUnlessVerbose();
        List<ArtifactRequest> requests = checkedRequests();
        checkOptions();

        PrintStream err = System.err;
        long startNanos = System.nanoTime();
        RunDeadline deadline = RunDeadline.start(
                timeoutSeconds == null ? null : Duration.ofSeconds(timeoutSeconds));
        RunResources resources = new RunResources();
        guestGone = new CompletableFuture<>();
        Thread hook = new Thread(() -> stopOnSignal(resources, guestGone, err), "metaservice-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        RunReport report = new RunReport(err, artifactsDir);
        StandardOutputSink logSink = shell ? StandardOutputSink.standardError() : new StandardOutputSink();
        try {
            execute(requests, logSink, resources, report, err);
        } catch (InterruptedException e) {
            report.interrupted();
        } finally {
            if (deadline.finish()) {
                report.timedOut(timeoutSeconds);
            }
            report.logWriteFailed(logSink.failureMessage());
            report.printSummary(System.nanoTime() - startNanos);
            resources.close();
            removeHook(hook);
        }
        return report.exitCode();
    }

    private void execute(List<ArtifactRequest> requests, StandardOutputSink logSink,
            RunResources resources, RunReport report, PrintStream err)
            throws IOException, InterruptedException {
        Path runFolder = Files.createTempDirectory("metaservice-run-");
        resources.setRunFolder(runFolder);
        MetaService service = new MetaService(MetaServiceConfig.builder()
                .command(command)
                .env(env)
                .logSink(logSink)
                .temporaryDirectory(runFolder.resolve("incoming"))
                .build());
        resources.setService(service);
        report.watch(service);

        if (vm) {
            executeInVm(service, requests, resources, report, err);
            return;
        }

        GuestServer server;
        try {
            server = listen.isUnix()
                    ? GuestServer.startUnix(service, listen.socket())
                    : GuestServer.start(service, listen.host(), listen.port());
        } catch (Exception e) {
            report.fail("cannot serve the guest API on " + listen + ": " + e.getMessage());
            return;
        }
        resources.setServer(server);

        LocalGuest guest = null;
        if (noLocalGuest) {
            String address = listen.isUnix() ? "unix:" + server.socket() : server.baseUri().toString();
            err.println("metaservice: serving the guest API on " + address + "; waiting for a guest");
        } else {
            String hostAndPort = server.baseUri().getAuthority();
            guest = LocalGuest.start(hostAndPort, runFolder, Main.isVerbose(), err);
            resources.setGuest(guest);
            guest.onExit().thenAccept(status -> markGuestGone(service,
                    "the guest agent exited with status " + status));
        }

        RunShell runShell = shell ? RunShell.start(service, err) : null;
        Boolean success = awaitResult(service, guest, report);
        if (success == null) {
            return;
        }
        if (runShell != null) {
            runShell.awaitEnd();
        }
        report.result(success);
        ArtifactCollector collector = new ArtifactCollector(
                service, new ArtifactStore(artifactsDir), workdirNames(guest), guestGone, err);
        report.artifacts(collector.collect(requests));
    }

    /**
     * Runs the task in a virtual machine, which serves the guest API itself, with the shell of
     * {@code --shell} when asked, and collects the artifacts from it. When the machine stops
     * before the result, the report gets the end of its serial console and the whole console is
     * kept in a file.
     */
    private void executeInVm(MetaService service, List<ArtifactRequest> requests,
            RunResources resources, RunReport report, PrintStream err)
            throws IOException, InterruptedException {
        VirtualMachine machine;
        try {
            GuestImage guestImage = GuestImage.load(image);
            VmOptions options = VmOptions.defaults().withMemoryMiB(memoryMiB).withCpus(cpus);
            if (timeoutSeconds != null) {
                options = options.withDeadline(Duration.ofSeconds(timeoutSeconds));
            }
            machine = VirtualMachine.start(guestImage, service, options);
        } catch (VmException e) {
            report.fail("cannot start the virtual machine: " + e.getMessage());
            return;
        }
        resources.setVirtualMachine(machine);
        machine.onExit().thenAccept(status -> markGuestGone(service,
                "the virtual machine stopped with status " + status));
        RunShell runShell = shell ? RunShell.start(service, err) : null;
        Boolean success;
        try {
            success = machine.await(service.result());
        } catch (VmException e) {
            report.fail(e.getMessage() + "\nmetaservice: the whole serial console is in "
                    + saveConsole(machine));
            return;
        } catch (InterruptedException e) {
            // The run's time-out struck: keep the console, which shows how far the guest got.
            err.println("metaservice: the serial console of the virtual machine is in " + saveConsole(machine));
            throw e;
        }
        if (runShell != null) {
            runShell.awaitEnd();
        }
        report.result(success);
        Optional<List<String>> workdir = Optional.empty();
        try {
            workdir = Optional.of(ListedFiles.names(ImageBuilder.GUEST_WORKDIR));
        } catch (UnsafePathException e) {
            // The guest's working folder is a constant; this does not happen.
        }
        ArtifactCollector collector = new ArtifactCollector(
                service, new ArtifactStore(artifactsDir), workdir, guestGone, err);
        report.artifacts(collector.collect(requests));
    }

    /** Copies the serial console to a new temporary file and returns the file. */
    private static Path saveConsole(VirtualMachine machine) throws IOException {
        Path console = Files.createTempFile("metaservice-vm-console-", ".log");
        machine.saveConsole(console);
        return console;
    }

    /** Waits for the task result; returns null when the local agent exited before it came. */
    private static Boolean awaitResult(MetaService service, LocalGuest guest, RunReport report)
            throws InterruptedException {
        CompletableFuture<Boolean> result = service.result();
        try {
            if (guest != null) {
                CompletableFuture.anyOf(result, guest.onExit()).get();
                if (!result.isDone()) {
                    report.fail("the guest agent exited with status " + guest.onExit().get()
                            + " before it reported a result");
                    return null;
                }
            }
            return result.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for the task result failed", e.getCause());
        }
    }

    private static Optional<List<String>> workdirNames(LocalGuest guest) {
        if (guest == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ListedFiles.names(guest.workdir().toString()));
        } catch (UnsafePathException e) {
            return Optional.empty();
        }
    }

    private List<ArtifactRequest> checkedRequests() {
        List<ArtifactRequest> requests = new ArrayList<>();
        for (String artifact : artifacts) {
            try {
                requests.add(ArtifactRequest.parse(artifact));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return requests;
    }

    private void checkOptions() {
        for (String name : env.keySet()) {
            if (name.isEmpty() || name.indexOf('\0') >= 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "invalid --env value: the variable name is empty; expected NAME=VALUE");
            }
        }
        if (timeoutSeconds != null && timeoutSeconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "invalid --timeout " + timeoutSeconds + ": expected a positive number of seconds");
        }
        if (vm && (noLocalGuest || listen != ListenAddress.DEFAULT)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--vm cannot be combined"
                    + " with --listen or --no-local-guest: the virtual machine has its own socket");
        }
        if (!vm && (memoryMiB != VmOptions.DEFAULT_MEMORY_MIB || cpus != VmOptions.DEFAULT_CPUS
                || !image.equals(GuestImage.defaultFolder()))) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--image, --memory and --cpus need --vm");
        }
        try {
            VmOptions.defaults().withMemoryMiB(memoryMiB).withCpus(cpus);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (listen.isUnix() && !noLocalGuest) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--listen " + listen
                    + " needs --no-local-guest: the local guest agent connects over TCP only");
        }
    }

    /**
     * Records that the guest is gone, then stops the pollers, so that host operations fail at
     * once instead of waiting for a poll that never comes.
     */
    private void markGuestGone(MetaService service, String reason) {
        guestGone.complete(reason);
        service.stopPollers();
    }

    private static void stopOnSignal(RunResources resources, CompletableFuture<String> guestGone,
            PrintStream err) {
        guestGone.complete("the run was interrupted");
        if (!resources.isClosed()) {
            err.println("metaservice: stopping: the run was interrupted");
            resources.close();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // The JVM is already shutting down, and the hook finds the resources closed.
        }
    }

    /** Converts {@code --listen} values, so that an invalid address is a usage error. */
    static final class ListenAddressConverter implements CommandLine.ITypeConverter<ListenAddress> {
        @Override
        public ListenAddress convert(String value) {
            try {
                return ListenAddress.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
