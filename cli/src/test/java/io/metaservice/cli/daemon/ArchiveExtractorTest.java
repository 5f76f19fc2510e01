package io.metaservice.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaservice.cli.internal.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The folder download of {@code cp}: only plain relative regular files land, below the destination. */
class ArchiveExtractorTest {

    @TempDir
    Path temp;

    @Test
    void regularFilesLandBelowRoot() throws Exception {
        byte[] archive = tar(file("a.txt", "alpha"), file("sub/deeper/b.txt", "beta"), file("empty", ""));
        Path root = temp.resolve("dest");

        ArchiveExtractor.Outcome outcome = ArchiveExtractor.extract(new ByteArrayInputStream(archive), new ArtifactStore(root));

        assertThat(outcome.files()).isEqualTo(3);
        assertThat(outcome.bytes()).isEqualTo(9);
        assertThat(outcome.rejected()).isEmpty();
        assertThat(root.resolve("a.txt")).hasContent("alpha");
        assertThat(root.resolve("sub/deeper/b.txt")).hasContent("beta");
        assertThat(root.resolve("empty")).isEmptyFile();
    }

    @Test
    void unsafeEntriesAreSkippedAndReported() throws Exception {
        Path root = Files.createDirectories(temp.resolve("box/dest"));
        TarArchiveEntry link = new TarArchiveEntry("link", TarConstants.LF_SYMLINK);
        link.setLinkName("/etc/passwd");
        TarArchiveEntry folder = new TarArchiveEntry("folder/");
        byte[] archive = tar(file("../escape.txt", "x"), file("/etc/cron.d/evil", "x"), file("a/../../up.txt", "x"),
                file("back\\slash", "x"), file("ctl\nname", "x"), file("a//b", "x"),
                file("./dot", "x"), new Entry(link, ""), new Entry(folder, ""), file("ok.txt", "fine"));

        ArchiveExtractor.Outcome outcome = ArchiveExtractor.extract(new ByteArrayInputStream(archive), new ArtifactStore(root));

        assertThat(outcome.files()).isEqualTo(1);
        assertThat(outcome.rejectedCount()).isEqualTo(9);
        assertThat(outcome.rejected()).hasSize(9);
        assertThat(String.join("\n", outcome.rejected()))
                .contains("'../escape.txt' has a '..' name")
                .contains("'/etc/cron.d/evil' has an empty name")
                .contains("'back\\slash' contains a backslash")
                .contains("'ctl\\x0aname' contains a control character")
                .contains("'link' is not a regular file")
                .contains("'folder/' is not a regular file");
        assertThat(root.resolve("ok.txt")).hasContent("fine");
        try (Stream<Path> everything = Files.walk(temp)) {
            assertThat(everything.filter(Files::isRegularFile).toList()).containsExactly(root.resolve("ok.txt"));
        }
    }

    @Test
    void symbolicLinkInDestinationIsNotFollowed() throws Exception {
        Path root = Files.createDirectories(temp.resolve("dest"));
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("sub"), outside);
        byte[] archive = tar(file("sub/planted.txt", "x"), file("kept.txt", "y"));

        ArchiveExtractor.Outcome outcome = ArchiveExtractor.extract(new ByteArrayInputStream(archive), new ArtifactStore(root));

        assertThat(outcome.files()).isEqualTo(1);
        assertThat(outcome.rejected()).singleElement().asString().contains("symbolic link");
        assertThat(outside).isEmptyDirectory();
        assertThat(root.resolve("kept.txt")).hasContent("y");
    }

    @Test
    void truncatedArchiveFails() throws Exception {
        byte[] archive = tar(file("big.bin", "z".repeat(10_000)));
        byte[] truncated = Arrays.copyOf(archive, 3_000);

        assertThatThrownBy(() -> ArchiveExtractor.extract(new ByteArrayInputStream(truncated),
                new ArtifactStore(temp.resolve("dest")))).isInstanceOf(IOException.class);
        try (Stream<Path> everything = Files.walk(temp)) {
            assertThat(everything.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    private record Entry(TarArchiveEntry header, String content) {
    }

    private static Entry file(String name, String content) {
        // Without normalization, so that the archive contains exactly the hostile name.
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        return new Entry(entry, content);
    }

    private static byte[] tar(Entry... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Entry entry : entries) {
                byte[] content = entry.content().getBytes(StandardCharsets.UTF_8);
                entry.header().setSize(entry.header().isFile() ? content.length : 0);
                tar.putArchiveEntry(entry.header());
                if (entry.header().isFile()) {
                    tar.write(content);
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
