package io.metaservice.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactRequestTest {

    @Test
    void relativePathKeepsItsNames() {
        ArtifactRequest request = ArtifactRequest.parse("./out//logs/./run.txt");

        assertThat(request.absolute()).isFalse();
        assertThat(request.guestPath()).isEqualTo("out/logs/run.txt");
        assertThat(request.destination()).containsExactly("out", "logs", "run.txt");
    }

    @Test
    void absolutePathLandsUnderLastName() {
        ArtifactRequest request = ArtifactRequest.parse("/var/log/../tmp/results/");

        assertThat(request.absolute()).isTrue();
        assertThat(request.guestPath()).isEqualTo("/var/tmp/results");
        assertThat(request.destination()).containsExactly("results");
    }

    @Test
    void absoluteDotDotStopsAtRoot() {
        assertThat(ArtifactRequest.parse("/../../etc/hostname").guestPath()).isEqualTo("/etc/hostname");
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "../x", "a/../../x", "a/../b"})
    void relativeDotDotRejected(String path) {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactRequest.parse(path))
                .withMessageContaining("must not contain '..'");
    }

    @ParameterizedTest
    @ValueSource(strings = {".", "./", "/", "//", "/..", "/a/.."})
    void pathNamingNothingRejected(String path) {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactRequest.parse(path))
                .withMessageContaining("names no file or folder");
    }

    @Test
    void emptyAndNulRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactRequest.parse(""))
                .withMessageContaining("empty");
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactRequest.parse("a\0b"))
                .withMessageContaining("NUL");
    }

    @Test
    void listedFolderUsesKnownWorkdir() {
        ArtifactRequest relative = ArtifactRequest.parse("out/sub");
        ArtifactRequest absolute = ArtifactRequest.parse("/data/out");
        Optional<List<String>> workdir = Optional.of(List.of("tmp", "run", "work"));

        assertThat(relative.listedFolder(workdir)).contains(List.of("tmp", "run", "work", "out", "sub"));
        assertThat(relative.listedFolder(Optional.empty())).isEmpty();
        assertThat(absolute.listedFolder(workdir)).contains(List.of("data", "out"));
        assertThat(absolute.listedFolder(Optional.empty())).contains(List.of("data", "out"));
    }
}
