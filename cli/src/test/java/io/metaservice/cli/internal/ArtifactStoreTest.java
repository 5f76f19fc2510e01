package io.metaservice.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {

    @TempDir
    Path temp;

    @Test
    void writesNestedFileAndCreatesFolders() throws Exception {
        Path root = temp.resolve("artifacts");
        ArtifactStore store = new ArtifactStore(root);

        Path written = store.write(List.of("out", "a", "b.txt"), content("nested"));

        assertThat(written).isEqualTo(root.resolve("out/a/b.txt"));
        assertThat(written).hasContent("nested");
        assertThat(partFiles(root)).isEmpty();
    }

    @Test
    void replacesExistingFile() throws Exception {
        ArtifactStore store = new ArtifactStore(temp);
        store.write(List.of("report.txt"), content("first run"));

        store.write(List.of("report.txt"), content("second"));

        assertThat(temp.resolve("report.txt")).hasContent("second");
    }

    @Test
    void symlinkedParentRejected() throws Exception {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Path root = Files.createDirectory(temp.resolve("artifacts"));
        Files.createSymbolicLink(root.resolve("out"), outside);
        ArtifactStore store = new ArtifactStore(root);

        assertThatThrownBy(() -> store.write(List.of("out", "evil.txt"), content("x")))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("symbolic link");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void symlinkedDeeperParentRejected() throws Exception {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Path root = Files.createDirectories(temp.resolve("artifacts/out"));
        Files.createSymbolicLink(root.resolve("sub"), outside);
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));

        assertThatThrownBy(() -> store.write(List.of("out", "sub", "x", "evil.txt"), content("x")))
                .isInstanceOf(UnsafePathException.class);
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void symlinkAtDestinationIsReplacedNotFollowed() throws Exception {
        Path victim = Files.writeString(temp.resolve("victim.txt"), "untouched");
        Path root = Files.createDirectory(temp.resolve("artifacts"));
        Files.createSymbolicLink(root.resolve("report.txt"), victim);

        new ArtifactStore(root).write(List.of("report.txt"), content("artifact"));

        assertThat(victim).hasContent("untouched");
        assertThat(Files.isSymbolicLink(root.resolve("report.txt"))).isFalse();
        assertThat(root.resolve("report.txt")).hasContent("artifact");
    }

    @Test
    void fileInPlaceOfFolderRejected() throws Exception {
        Files.writeString(temp.resolve("out"), "a file");

        assertThatThrownBy(() -> new ArtifactStore(temp).write(List.of("out", "x.txt"), content("x")))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("not a folder");
    }

    @Test
    void folderAtDestinationRejected() throws Exception {
        Files.createDirectory(temp.resolve("report.txt"));

        assertThatThrownBy(() -> new ArtifactStore(temp).write(List.of("report.txt"), content("x")))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("a folder is there");
    }

    @Test
    void unsafeNamesRejected() {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));

        for (List<String> names : List.of(List.of(".."), List.of("a", "..", "b"), List.of("a/b"),
                List.of(""), List.of("."), List.of("a\0b"), List.<String>of())) {
            assertThatThrownBy(() -> store.write(names, content("x")))
                    .as("names %s", names)
                    .isInstanceOf(UnsafePathException.class);
        }
        assertThat(temp.resolve("artifacts")).doesNotExist();
    }

    private static InputStream content(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<Path> partFiles(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(file -> file.getFileName().toString().endsWith(ArtifactStore.PART_SUFFIX))
                    .toList();
        }
    }
}
