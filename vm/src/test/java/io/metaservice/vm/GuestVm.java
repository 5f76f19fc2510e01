package io.metaservice.vm;

import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A meta-data service for one task and a guest booted for it, in a network namespace of its
 * own, as the integration tests use them. The task log is kept in memory.
 */
final class GuestVm implements AutoCloseable {

    /** Upper bound on one boot and task; emulated boots take about 10-25 s on a 2-core host. */
    static final Duration DEADLINE = Duration.ofMinutes(4);
    static final long WAIT_SECONDS = 120;

    final MetaService service;
    final VirtualMachine vm;
    final ProcessHandle qemu;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    GuestVm(GuestImage image, List<String> command, Path temporary, VmOptions options) throws Exception {
        this.service = new MetaService(MetaServiceConfig.builder()
                .command(command)
                .logSink(bytes -> {
                    synchronized (log) {
                        while (bytes.hasRemaining()) {
                            log.write(bytes.get());
                        }
                    }
                })
                .temporaryDirectory(Files.createDirectories(temporary.resolve("incoming")))
                .build());
        this.vm = VirtualMachine.start(image, service, options);
        this.qemu = ProcessHandle.of(vm.pid()).orElseThrow();
    }

    static VmOptions isolatedOptions() {
        return VmOptions.defaults().withDeadline(DEADLINE).withNetworkIsolation(NetworkIsolation.REQUIRED);
    }

    String log() {
        synchronized (log) {
            return log.toString(StandardCharsets.UTF_8);
        }
    }

    /** Runs a command in a guest shell without a TTY and returns its standard output. */
    String runShell(List<String> command) throws Exception {
        HostShell shell = service.execShell(command, false);
        shell.stdin().close();
        CompletableFuture<byte[]> stdout = readAll(shell.stdout());
        CompletableFuture<byte[]> stderr = readAll(shell.stderr());
        ShellResult result = shell.result().get(WAIT_SECONDS, TimeUnit.SECONDS);
        String errors = new String(stderr.get(WAIT_SECONDS, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        if (result != ShellResult.SUCCESS) {
            throw new AssertionError("shell " + command + " ended with " + result + ", stderr: " + errors);
        }
        return new String(stdout.get(WAIT_SECONDS, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    /** Returns the processes that QEMU started and that are still alive. */
    List<ProcessHandle> qemuChildren() {
        return qemu.descendants().toList();
    }

    /** Returns the ids of {@code processes} that are still alive. */
    static List<Long> alive(List<ProcessHandle> processes) {
        List<Long> alive = new ArrayList<>();
        for (ProcessHandle process : processes) {
            if (process.isAlive()) {
                alive.add(process.pid());
            }
        }
        return alive;
    }

    @Override
    public void close() {
        vm.close();
    }

    private static CompletableFuture<byte[]> readAll(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
