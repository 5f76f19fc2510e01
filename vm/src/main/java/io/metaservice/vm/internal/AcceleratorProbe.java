package io.metaservice.vm.internal;

import io.metaservice.vm.Accelerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides between KVM and emulation. An accessible {@code /dev/kvm} is not enough: on some
 * nested hosts KVM starts, runs the firmware and then hangs in the kernel's early boot. So the
 * probe boots the image's own kernel under KVM without an initramfs and no devices, and accepts
 * KVM only when that kernel gets as far as its "no root file system" panic within
 * {@link #PROBE_TIMEOUT}. The verdict is cached per QEMU binary and kernel, because a hanging
 * probe costs the whole time-out.
 */
public final class AcceleratorProbe {

    private static final Logger LOG = LoggerFactory.getLogger(AcceleratorProbe.class);

    /** How long a working KVM may take to boot the kernel to its panic; about 1 s is usual. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final Path KVM_DEVICE = Path.of("/dev/kvm");
    private static final String PANIC_MARK = "Kernel panic";

    private AcceleratorProbe() {
    }

    /**
     * Returns KVM when it boots {@code kernel} with {@code qemu}, TCG otherwise. {@code cacheDir}
     * stores verdicts; null turns the cache off.
     */
    public static Accelerator detect(Path qemu, Path kernel, Path cacheDir) throws InterruptedException {
        if (!Files.isReadable(KVM_DEVICE) || !Files.isWritable(KVM_DEVICE)) {
            LOG.info("using emulation (TCG): {} is missing or not accessible", KVM_DEVICE);
            return Accelerator.TCG;
        }
        Path cached = null;
        try {
            cached = cacheDir == null ? null : cacheDir.resolve("accelerator-" + cacheKey(qemu, kernel));
            if (cached != null && Files.isRegularFile(cached)) {
                Accelerator verdict = Accelerator.valueOf(Files.readString(cached, StandardCharsets.UTF_8).strip());
                LOG.info("using {} (probed before, cached in {})", verdict, cached);
                return verdict;
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.debug("ignoring the accelerator cache: {}", e.toString());
        }
        Accelerator verdict = probe(qemu, kernel);
        if (cached != null) {
            try {
                Files.createDirectories(cacheDir);
                Files.writeString(cached, verdict.name() + "\n", StandardCharsets.UTF_8);
            } catch (IOException e) {
                LOG.debug("cannot cache the accelerator verdict in {}: {}", cached, e.toString());
            }
        }
        return verdict;
    }

    // NOTE: KVM on the hosts where this was tested hangs in the guest kernel, so the KVM branch
    //  (-cpu host) has only run up to that hang, never through a whole boot.
    private static Accelerator probe(Path qemu, Path kernel) throws InterruptedException {
        Path log = null;
        try {
            log = Files.createTempFile("metaservice-kvm-probe-", ".log");
            List<String> command = new ArrayList<>(List.of(qemu.toString()));
            command.addAll(Accelerator.KVM.qemuArguments());
            command.addAll(List.of("-machine", "pc", "-nodefaults", "-no-user-config", "-display", "none",
                    "-no-reboot", "-m", "256", "-kernel", kernel.toString(),
                    "-append", "console=ttyS0 panic=-1 loglevel=1",
                    "-chardev", "file,id=console,path=" + QemuCommand.escapeOption(log.toString()),
                    "-serial", "chardev:console"));
            long started = System.nanoTime();
            Commands.Output output = Commands.run(command, null, PROBE_TIMEOUT);
            String console = Files.readString(log, StandardCharsets.UTF_8);
            if (console.contains(PANIC_MARK)) {
                LOG.info("using KVM: the probe booted the kernel in {} ms",
                        (System.nanoTime() - started) / 1_000_000);
                return Accelerator.KVM;
            }
            LOG.info("using emulation (TCG): KVM exited with status {} before the kernel booted: {}",
                    output.status(), Commands.tail(output.text().strip(), 300));
        } catch (IOException e) {
            LOG.info("using emulation (TCG): KVM did not boot the kernel: {}", e.getMessage());
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}: {}", log, e.toString());
                }
            }
        }
        return Accelerator.TCG;
    }

    private static String cacheKey(Path qemu, Path kernel) throws IOException {
        String identity = qemu.toRealPath() + "|" + Files.size(qemu) + "|" + Files.getLastModifiedTime(qemu)
                + "|" + kernel.toRealPath() + "|" + Files.size(kernel) + "|" + Files.getLastModifiedTime(kernel);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
