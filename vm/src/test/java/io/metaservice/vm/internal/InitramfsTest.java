package io.metaservice.vm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsTest {

    @TempDir
    Path temporary;

    @Test
    void archiveHoldsEveryKindOfEntry() throws IOException {
        Path jar = temporary.resolve("agent.jar");
        Files.writeString(jar, "jar bytes");
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_600_000_000_000L));
        Initramfs initramfs = new Initramfs(1_700_000_000L);
        initramfs.addText("/etc/metaservice/guest.yaml", "workdir: /work\n", 0644);
        initramfs.addFile("/opt/metaservice/lib/00-agent.jar", jar);
        initramfs.addSymlink("/bin/sh", "/bin/busybox");
        initramfs.addCharDevice("/dev/console", 5, 1, 0600);
        initramfs.addDirectory("/work");
        Path archive = temporary.resolve("initramfs.cpio.gz");

        initramfs.write(archive, 6);
        Map<String, CpioArchiveEntry> entries = new LinkedHashMap<>();
        Map<String, String> contents = read(archive, entries);

        assertThat(new ArrayList<>(entries.keySet())).containsExactly("bin", "bin/sh", "dev", "dev/console",
                "etc", "etc/metaservice", "etc/metaservice/guest.yaml", "opt", "opt/metaservice",
                "opt/metaservice/lib", "opt/metaservice/lib/00-agent.jar", "work");
        assertThat(entries.get("etc").getMode()).isEqualTo(CpioConstants.C_ISDIR | 0755);
        assertThat(contents.get("etc/metaservice/guest.yaml")).isEqualTo("workdir: /work\n");
        CpioArchiveEntry jarEntry = entries.get("opt/metaservice/lib/00-agent.jar");
        assertThat(jarEntry.getMode()).isEqualTo(CpioConstants.C_ISREG | 0640);
        assertThat(jarEntry.getTime()).as("seconds").isEqualTo(1_600_000_000L);
        assertThat(contents.get("opt/metaservice/lib/00-agent.jar")).isEqualTo("jar bytes");
        assertThat(entries.get("bin/sh").getMode()).isEqualTo(CpioConstants.C_ISLNK | 0777);
        assertThat(contents.get("bin/sh")).isEqualTo("/bin/busybox");
        CpioArchiveEntry console = entries.get("dev/console");
        assertThat(console.getMode()).isEqualTo(CpioConstants.C_ISCHR | 0600);
        assertThat(console.getRemoteDeviceMaj()).isEqualTo(5);
        assertThat(console.getRemoteDeviceMin()).isEqualTo(1);
        assertThat(entries.get("work").getTime()).as("seconds").isEqualTo(1_700_000_000L);
    }

    @Test
    void uncompressedArchiveReadsBack() throws IOException {
        Initramfs initramfs = new Initramfs(1_700_000_000L);
        initramfs.addText("/init", "#!/bin/busybox sh\n", 0755);
        Path archive = temporary.resolve("initramfs.cpio");

        initramfs.writeUncompressed(archive);
        List<String> names = new ArrayList<>();
        try (InputStream file = Files.newInputStream(archive);
                CpioArchiveInputStream cpio = new CpioArchiveInputStream(file)) {
            CpioArchiveEntry entry;
            while ((entry = cpio.getNextEntry()) != null) {
                names.add(entry.getName() + " " + Integer.toOctalString((int) entry.getMode()));
            }
        }

        assertThat(names).containsExactly("init 100755");
    }

    @Test
    void pathLeavingRootRejected() {
        Initramfs initramfs = new Initramfs(0);

        assertThatThrownBy(() -> initramfs.addText("/etc/../../x", "", 0644))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> initramfs.addDirectory("/"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Map<String, String> read(Path archive, Map<String, CpioArchiveEntry> entries)
            throws IOException {
        Map<String, String> contents = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        try (InputStream file = Files.newInputStream(archive);
                CpioArchiveInputStream cpio = new CpioArchiveInputStream(new GzipCompressorInputStream(file))) {
            CpioArchiveEntry entry;
            while ((entry = cpio.getNextEntry()) != null) {
                order.add(entry.getName());
                entries.put(entry.getName(), entry);
                byte[] data = cpio.readAllBytes();
                if (data.length > 0) {
                    contents.put(entry.getName(), new String(data, StandardCharsets.UTF_8));
                }
            }
        }
        return contents;
    }
}
