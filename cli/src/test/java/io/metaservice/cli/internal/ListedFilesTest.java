package io.metaservice.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ListedFilesTest {

    private static final List<String> FOLDER = List.of("home", "task", "out");

    @Test
    void fileBelowFolderMapsToRelativeNames() throws UnsafePathException {
        List<String> names = ListedFiles.names("/home/task/out/a/b.txt");

        assertThat(ListedFiles.below(FOLDER, names, "/home/task/out/a/b.txt")).containsExactly("a", "b.txt");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/home/task/out/../../../etc/passwd",
        "/home/task/out/a/..",
        "/home/task/out/./a",
        "/home/task/out//a",
        "/home/task/out/a/",
        "home/task/out/a",
        "",
        "/home/task/out/a\0.txt"
    })
    void unsafeListedPathRejected(String listed) {
        assertThatThrownBy(() -> ListedFiles.names(listed)).isInstanceOf(UnsafePathException.class);
    }

    @Test
    void nullListedPathRejected() {
        assertThatThrownBy(() -> ListedFiles.names(null))
                .isInstanceOf(UnsafePathException.class)
                .hasMessage("the guest listed a null entry instead of a path");
    }

    @Test
    void emptyListedPathNamedEmpty() {
        assertThatThrownBy(() -> ListedFiles.names(""))
                .isInstanceOf(UnsafePathException.class)
                .hasMessage("the guest listed an empty path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "/home/task/outside/x", "/home/task/out", "/home/task"})
    void absolutePathOutsideFolderRejected(String listed) throws UnsafePathException {
        List<String> names = ListedFiles.names(listed);

        assertThatThrownBy(() -> ListedFiles.below(FOLDER, names, listed))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("not below the requested folder");
    }

    @Test
    void messageEscapesControlCharacters() {
        assertThatThrownBy(() -> ListedFiles.names("/a/\n/../b"))
                .hasMessageContaining("\\x0a")
                .hasMessageNotContaining("\n");
    }

    @Test
    void locateFolderFindsFirstRunOfRequest() {
        List<String> listed = List.of("srv", "task", "out", "out", "x.txt");

        assertThat(ListedFiles.locateFolder(List.of("out"), listed)).contains(List.of("srv", "task", "out"));
        assertThat(ListedFiles.locateFolder(List.of("task", "out"), listed))
                .contains(List.of("srv", "task", "out"));
    }

    @Test
    void locateFolderNeedsRequestBeforeLastName() {
        assertThat(ListedFiles.locateFolder(List.of("out"), List.of("srv", "out"))).isEmpty();
        assertThat(ListedFiles.locateFolder(List.of("out"), List.of("srv", "other", "x"))).isEmpty();
    }
}
