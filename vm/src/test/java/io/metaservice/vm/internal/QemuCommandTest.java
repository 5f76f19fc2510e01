package io.metaservice.vm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.vm.Accelerator;
import io.metaservice.vm.GuestImage;
import io.metaservice.vm.VmOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandTest {

    private static final GuestImage IMAGE = new GuestImage(Path.of("/images/a"), Path.of("/images/a/vmlinux"),
            Path.of("/images/a/initramfs.cpio.gz"), null);
    private static final QemuCommand.RunFiles FILES = new QemuCommand.RunFiles(
            Path.of("/run/x,y/guest.sock"), Path.of("/run/x,y/console.log"), Path.of("/run/x,y/forward.log"));

    @Test
    void networkIsRestrictedToForward() {
        List<String> command = build(Accelerator.TCG);

        String netdev = command.get(command.indexOf("-netdev") + 1);
        assertThat(netdev).startsWith("user,id=net0,restrict=on,net=169.254.0.0/16,host=169.254.0.2,");
        assertThat(netdev).contains(",guestfwd=tcp:169.254.169.254:80-cmd:'/usr/bin/socat' -lf"
                + " '/run/x,,y/forward.log' STDIO 'UNIX-CONNECT:/run/x,,y/guest.sock'");
        assertThat(command).containsSubsequence("-device", "virtio-net-pci,netdev=net0,romfile=");
        assertThat(command.stream().filter(argument -> argument.equals("-netdev")).count()).isEqualTo(1);
    }

    @Test
    void emulationUsesCpuWithRdrand() {
        List<String> command = build(Accelerator.TCG);

        assertThat(command).containsSubsequence("-accel", "tcg", "-cpu", "qemu64,+rdrand");
    }

    @Test
    void kvmUsesHostCpu() {
        assertThat(build(Accelerator.KVM)).containsSubsequence("-accel", "kvm", "-cpu", "host");
    }

    @Test
    void consoleFileAndPanicExit() {
        List<String> command = build(Accelerator.TCG);

        assertThat(command).containsSubsequence("-chardev", "file,id=console,path=/run/x,,y/console.log",
                "-serial", "chardev:console");
        assertThat(command).contains("-no-reboot", "-nodefaults");
        assertThat(command.get(command.indexOf("-append") + 1)).contains("panic=-1", "console=ttyS0");
    }

    @Test
    void sizesComeFromOptions() {
        List<String> command = QemuCommand.build(Path.of("/usr/bin/qemu-system-x86_64"), Path.of("/usr/bin/socat"),
                IMAGE, VmOptions.defaults().withMemoryMiB(2048).withCpus(2), Accelerator.TCG, FILES);

        assertThat(command).containsSubsequence("-m", "2048", "-smp", "2");
        assertThat(command).containsSubsequence("-kernel", "/images/a/vmlinux", "-initrd",
                "/images/a/initramfs.cpio.gz");
    }

    @Test
    void quotingSurvivesSingleQuotes() {
        assertThat(QemuCommand.shellQuote("it's")).isEqualTo("'it'\\''s'");
    }

    private static List<String> build(Accelerator accelerator) {
        return QemuCommand.build(Path.of("/usr/bin/qemu-system-x86_64"), Path.of("/usr/bin/socat"), IMAGE,
                VmOptions.defaults(), accelerator, FILES);
    }
}
