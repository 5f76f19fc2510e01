package io.metaservice.guest.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaservice.protocol.Files;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderListerTest {

    @TempDir
    Path root;

    @Test
    void listsNestedRegularFiles() throws IOException {
        Path top = write(root.resolve("top.txt"));
        Path nested = write(root.resolve("a/b/c/deep.bin"));
        Path sibling = write(root.resolve("a/side.txt"));
        java.nio.file.Files.createDirectories(root.resolve("a/empty"));

        Files listing = FolderLister.list(root);

        assertThat(listing.notFound()).isFalse();
        assertThat(listing.files()).containsExactlyInAnyOrder(
                top.toString(), nested.toString(), sibling.toString());
    }

    @Test
    void skipsSymbolicLinks() throws IOException {
        Path target = write(root.resolve("real/file.txt"));
        Path outside = java.nio.file.Files.createTempDirectory("folder-lister-outside");
        try {
            write(outside.resolve("secret.txt"));
            java.nio.file.Files.createSymbolicLink(root.resolve("link-to-file"), target);
            java.nio.file.Files.createSymbolicLink(root.resolve("link-to-folder"), outside);
            java.nio.file.Files.createSymbolicLink(root.resolve("dangling"), root.resolve("nope"));

            Files listing = FolderLister.list(root);

            assertThat(listing.files()).containsExactly(target.toString());
        } finally {
            java.nio.file.Files.delete(outside.resolve("secret.txt"));
            java.nio.file.Files.delete(outside);
        }
    }

    @Test
    void emptyFolderGivesEmptyList() {
        Files listing = FolderLister.list(root);

        assertThat(listing.notFound()).isFalse();
        assertThat(listing.files()).isNotNull().isEmpty();
    }

    @Test
    void missingFolderIsNotFound() {
        Files listing = FolderLister.list(root.resolve("absent"));

        assertThat(listing.notFound()).isTrue();
        assertThat(listing.files()).isNull();
    }

    @Test
    void fileInsteadOfFolderIsNotFound() throws IOException {
        Path file = write(root.resolve("plain.txt"));

        Files listing = FolderLister.list(file);

        assertThat(listing.notFound()).isTrue();
    }

    @Test
    void fifoIsSkipped() throws Exception {
        Path fifo = root.resolve("pipe");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();
        Path regular = write(root.resolve("regular.txt"));

        Files listing = FolderLister.list(root);

        assertThat(listing.files()).containsExactly(regular.toString());
    }

    @Test
    void folderReachedThroughLinkIsListed() throws IOException {
        Path real = root.resolve("real");
        Path file = write(real.resolve("inside.txt"));
        Path link = java.nio.file.Files.createSymbolicLink(root.resolve("alias"), real);

        Files listing = FolderLister.list(link);

        assertThat(listing.notFound()).isFalse();
        assertThat(listing.files()).containsExactly(link.resolve("inside.txt").toString());
        assertThat(file).exists();
    }

    @Test
    void relativeFolderIsRejected() {
        assertThatThrownBy(() -> FolderLister.list(Path.of("relative")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void topFolderCountsAgainstLimit() throws IOException {
        for (int i = 0; i < 50; i++) {
            write(root.resolve(String.format("file-%02d.txt", i)));
        }
        long limit = FolderLister.ENVELOPE_BYTES + 20 * FolderLister.jsonSize(root + "/file-00.txt");

        Files listing = FolderLister.list(root, limit);

        assertThat(listing.truncated()).isTrue();
        assertThat(listing.files()).hasSize(20);
        assertThat(Json.MAPPER.writeValueAsBytes(listing).length).isLessThanOrEqualTo((int) limit);
    }

    @Test
    void limitCheckedPerFileInSubfolder() throws IOException {
        write(root.resolve("top.txt"));
        for (int i = 0; i < 50; i++) {
            write(root.resolve(String.format("sub/file-%02d.txt", i)));
        }
        long limit = FolderLister.ENVELOPE_BYTES + 10 * FolderLister.jsonSize(root + "/sub/file-00.txt");

        Files listing = FolderLister.list(root, limit);

        assertThat(listing.truncated()).isTrue();
        assertThat(listing.files()).hasSizeBetween(9, 10).contains(root.resolve("top.txt").toString());
        assertThat(Json.MAPPER.writeValueAsBytes(listing).length).isLessThanOrEqualTo((int) limit);
    }

    @Test
    void escapedNamesStayWithinLimit() throws IOException {
        String[] names = {"quote\"d", "back\\slash", "new\nline", "tab\tand\u0001", "caf\u00e9", "\u4e2d\u6587"};
        for (int i = 0; i < 30; i++) {
            write(root.resolve(names[i % names.length] + "-" + i));
        }
        long complete = Json.MAPPER.writeValueAsBytes(FolderLister.list(root)).length;

        for (long limit = FolderLister.ENVELOPE_BYTES; limit <= complete + FolderLister.ENVELOPE_BYTES; limit += 37) {
            Files listing = FolderLister.list(root, limit);

            assertThat(Json.MAPPER.writeValueAsBytes(listing).length).as("JSON bytes at limit %d", limit)
                    .isLessThanOrEqualTo((int) limit);
        }
    }

    @Test
    void listingThatFitsIsComplete() throws IOException {
        for (int i = 0; i < 5; i++) {
            write(root.resolve("a/b/file-" + i));
        }

        Files listing = FolderLister.list(root, 64 * 1024);

        assertThat(listing.truncated()).isFalse();
        assertThat(listing.files()).hasSize(5);
        assertThat(Json.MAPPER.writeValueAsString(listing)).doesNotContain("truncated");
    }

    private static Path write(Path file) throws IOException {
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.writeString(file, file.getFileName().toString());
        return file;
    }
}
