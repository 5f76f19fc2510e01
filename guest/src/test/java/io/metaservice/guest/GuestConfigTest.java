package io.metaservice.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestConfigTest {

    @TempDir
    Path folder;

    @Test
    void loadReadsAllKeys() throws IOException {
        Path file = write("""
                entrypoint: [/usr/bin/env, --]
                env:
                  LANG: C.UTF-8
                  COUNT: 3
                shell: [bash, -l]
                user: worker
                workdir: /home/worker
                """);

        GuestConfig config = GuestConfig.load(file);

        assertThat(config.entrypoint()).containsExactly("/usr/bin/env", "--");
        assertThat(config.env()).containsExactlyInAnyOrderEntriesOf(
                Map.of("LANG", "C.UTF-8", "COUNT", "3"));
        assertThat(config.shell()).containsExactly("bash", "-l");
        assertThat(config.user()).contains("worker");
        assertThat(config.workdir()).contains("/home/worker");
    }

    @Test
    void loadUsesDefaultsForMissingKeys() throws IOException {
        GuestConfig config = GuestConfig.load(write("user: worker\n"));

        assertThat(config.entrypoint()).isEmpty();
        assertThat(config.env()).isEmpty();
        assertThat(config.shell()).containsExactly("sh");
        assertThat(config.user()).contains("worker");
        assertThat(config.workdir()).isEmpty();
    }

    @Test
    void defaultsMatchEmptyFile() throws IOException {
        GuestConfig loaded = GuestConfig.load(write(""));
        GuestConfig defaults = GuestConfig.defaults();

        assertThat(loaded.entrypoint()).isEqualTo(defaults.entrypoint()).isEmpty();
        assertThat(loaded.env()).isEqualTo(defaults.env()).isEmpty();
        assertThat(loaded.shell()).isEqualTo(defaults.shell()).isEqualTo(List.of("sh"));
        assertThat(loaded.user()).isEqualTo(defaults.user()).isEmpty();
        assertThat(loaded.workdir()).isEqualTo(defaults.workdir()).isEmpty();
    }

    @Test
    void commentsOnlyFileGivesDefaults() throws IOException {
        GuestConfig config = GuestConfig.load(write("# nothing configured yet\n"));

        assertThat(config.shell()).containsExactly("sh");
        assertThat(config.entrypoint()).isEmpty();
    }

    @Test
    void nulInWorkdirIsRejected() throws IOException {
        Path file = write("workdir: \"/srv\\0x\"\n");

        assertThatThrownBy(() -> GuestConfig.load(file))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("'workdir' contains a NUL character");
    }

    @Test
    void loadIgnoresUnknownKeys() throws IOException {
        GuestConfig config = GuestConfig.load(write("""
                futureKey: {nested: [1, 2]}
                workdir: /srv
                """));

        assertThat(config.workdir()).contains("/srv");
    }

    @Test
    void emptyShellFallsBackToSh() throws IOException {
        GuestConfig config = GuestConfig.load(write("shell: []\n"));

        assertThat(config.shell()).containsExactly("sh");
    }

    @Test
    void blankUserMeansAgentUser() throws IOException {
        GuestConfig config = GuestConfig.load(write("user: ''\nworkdir: ' '\n"));

        assertThat(config.user()).isEmpty();
        assertThat(config.workdir()).isEmpty();
    }

    @Test
    void badYamlNamesFile() throws IOException {
        Path file = write("entrypoint: [unclosed\n");

        assertThatThrownBy(() -> GuestConfig.load(file))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("invalid configuration");
    }

    @Test
    void wrongTypeIsRejected() throws IOException {
        Path file = write("entrypoint: just-a-string\n");

        assertThatThrownBy(() -> GuestConfig.load(file))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void topLevelListIsRejected() throws IOException {
        Path file = write("- entrypoint\n- env\n");

        assertThatThrownBy(() -> GuestConfig.load(file))
                .isInstanceOf(InvalidConfigException.class);
    }

    @Test
    void variableWithoutValueIsRejected() throws IOException {
        Path file = write("env:\n  EMPTY:\n");

        assertThatThrownBy(() -> GuestConfig.load(file))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("'EMPTY' has no value");
    }

    @Test
    void variableNameWithEqualsIsRejected() throws IOException {
        Path file = write("env:\n  'A=B': x\n");

        assertThatThrownBy(() -> GuestConfig.load(file))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("A=B");
    }

    @Test
    void missingFileThrowsIoException() {
        Path file = folder.resolve("absent.yml");

        assertThatThrownBy(() -> GuestConfig.load(file))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(InvalidConfigException.class);
    }

    private Path write(String yaml) throws IOException {
        Path file = folder.resolve("guest.yml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }
}
