package io.metaservice.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import io.metaservice.host.Artifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * Boots one guest for a task that writes files and probes the network, then checks the log,
 * the result, the artifacts, a shell and the clean-up against that guest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuestTaskTest {

    /**
     * The task: prints the kernel release, writes files, and tries the meta-data service and
     * addresses inside the virtual network that must stay unreachable. Nothing here leaves the
     * virtual network, which exists only inside QEMU in the test's own network namespace.
     */
    private static final String TASK = String.join("\n",
            "echo \"kernel $(uname -r)\"",
            "echo artifact-content > out.txt",
            "mkdir -p sub && echo nested > sub/nested.txt",
            "printf 'GET /engine/v1/ping HTTP/1.1\\r\\nHost: 169.254.169.254\\r\\nConnection: close\\r\\n\\r\\n'"
                    + " | nc -w 5 169.254.169.254 80 | head -n 1",
            "nc -w 3 169.254.169.254 81 </dev/null && echo probe port81=open || echo probe port81=closed",
            "nc -w 3 169.254.0.2 80 </dev/null && echo probe gateway80=open || echo probe gateway80=closed",
            "nc -w 3 169.254.0.2 22 </dev/null && echo probe gateway22=open || echo probe gateway22=closed",
            "nc -w 3 10.0.2.2 80 </dev/null && echo probe slirp-default=open || echo probe slirp-default=closed",
            "true");

    private GuestImage image;
    private GuestVm guest;
    private Boolean success;
    /** Why the tests are skipped, or null when the guest booted. */
    private String skipReason;

    @BeforeAll
    void bootAndRunTask(@TempDir Path temporary) throws Exception {
        try {
            image = TestImage.get();
        } catch (TestAbortedException e) {
            // Each test reports the skip, so that the report counts them.
            skipReason = e.getMessage();
            return;
        }
        long started = System.nanoTime();
        guest = new GuestVm(image, List.of("sh", "-c", TASK), temporary, GuestVm.isolatedOptions());
        success = guest.vm.await(guest.service.result());
        System.err.printf("task result after %d ms with %s%n", (System.nanoTime() - started) / 1_000_000,
                guest.vm.accelerator());
    }

    @AfterAll
    void powerOffStopsEveryProcess() {
        if (guest == null) {
            return;
        }
        List<ProcessHandle> children = guest.qemuChildren();
        guest.close();
        assertThat(guest.qemu.isAlive()).as("QEMU %d alive after close", guest.qemu.pid()).isFalse();
        assertThat(GuestVm.alive(children)).as("processes started by QEMU, alive after close").isEmpty();
    }

    @BeforeEach
    void requireGuest() {
        if (skipReason != null) {
            abort(skipReason);
        }
    }

    @Test
    void taskSucceeds() {
        assertThat(success).as("result; console:\n%s", guest.vm.consoleTail()).isTrue();
    }

    @Test
    void logShowsGuestKernel() {
        assertThat(guest.log()).contains("kernel " + image.manifest().kernelRelease() + "\n");
    }

    @Test
    void artifactComesFromGuest() throws Exception {
        try (Artifact artifact = guest.service.getArtifact("/work/out.txt")) {
            assertThat(Files.readString(artifact.path())).isEqualTo("artifact-content\n");
        }
    }

    @Test
    void folderListingComesFromGuest() throws Exception {
        assertThat(guest.service.listFolder("/work"))
                .containsExactlyInAnyOrder("/work/out.txt", "/work/sub/nested.txt");
    }

    @Test
    void guestReachesMetaDataService() {
        assertThat(guest.log()).contains("HTTP/1.1 200 OK");
    }

    @Test
    void guestReachesNothingElse() {
        String log = guest.log();

        assertThat(log).contains("probe port81=closed");
        assertThat(log).contains("probe gateway80=closed");
        assertThat(log).contains("probe gateway22=closed");
        assertThat(log).contains("probe slirp-default=closed");
    }

    @Test
    void shellSeesGuestKernel() throws Exception {
        String release = guest.runShell(List.of("uname", "-r"));

        assertThat(release.strip()).isEqualTo(image.manifest().kernelRelease());
    }
}
