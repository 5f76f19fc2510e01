package io.metaservice.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image's manifest, a failing task, and the deadline, each against real QEMU. */
class VmLifecycleTest {

    @TempDir
    Path temporary;

    @Test
    void imageRecordsItsSources() throws Exception {
        GuestImage image = TestImage.get();
        ImageManifest manifest = image.manifest();
        List<String> modules = manifest.kernelModules();

        assertThat(manifest.kernelRelease()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(manifest.kernelPackage()).startsWith("linux-image-");
        assertThat(manifest.kernelFormat()).isEqualTo(ImageManifest.KERNEL_ELF);
        assertThat(modules).endsWith("virtio_net");
        assertThat(modules).contains("virtio_pci", "virtio_ring", "virtio", "failover", "net_failover");
        assertThat(modules.indexOf("virtio_ring")).isLessThan(modules.indexOf("virtio_pci"));
        assertThat(modules.indexOf("failover")).isLessThan(modules.indexOf("net_failover"));
        assertThat(manifest.javaVersion()).isEqualTo(System.getProperty("java.version"));
        assertThat(manifest.agentVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(manifest.agentClassDataSharing()).isTrue();
        assertThat(manifest.busyboxVersion()).startsWith("BusyBox");
        assertThat(Files.size(image.initramfs())).isEqualTo(manifest.initramfsBytes());
        assertThat(GuestImage.load(image.folder())).isEqualTo(image);
    }

    @Test
    void failingTaskReportsFailure() throws Exception {
        GuestImage image = TestImage.get();
        List<ProcessHandle> children;
        GuestVm guest = new GuestVm(image, List.of("sh", "-c", "echo failing; exit 3"), temporary,
                GuestVm.isolatedOptions());
        try (guest) {
            Boolean success = guest.vm.await(guest.service.result());

            assertThat(success).isFalse();
            assertThat(guest.log()).contains("failing");
            children = guest.qemuChildren();
        }
        assertThat(guest.qemu.isAlive()).isFalse();
        assertThat(GuestVm.alive(children)).isEmpty();
    }

    @Test
    void deadlineStopsVm() throws Exception {
        GuestImage image = TestImage.get();
        GuestVm guest = new GuestVm(image, List.of("true"), temporary,
                GuestVm.isolatedOptions().withDeadline(Duration.ofSeconds(2)));
        try (guest) {
            assertThatThrownBy(() -> guest.vm.await(new CompletableFuture<Boolean>()))
                    .isInstanceOf(VmException.class)
                    .hasMessageContaining("stopped at its deadline")
                    .hasMessageContaining("serial console");
            assertThat(guest.vm.deadlineExpired()).isTrue();
        }
        assertThat(guest.qemu.isAlive()).isFalse();
    }
}
