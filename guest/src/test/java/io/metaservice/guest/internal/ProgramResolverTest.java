package io.metaservice.guest.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramResolverTest {

    @TempDir
    Path folder;

    @Test
    void bareNameIsSearchedInPath() throws Exception {
        Path tool = executable(folder.resolve("bin/tool"));

        Path resolved = ProgramResolver.resolve("tool", "/nonexistent:" + tool.getParent(), folder);

        assertThat(resolved).isEqualTo(tool);
    }

    @Test
    void nameWithSlashIsRelativeToWorkdir() throws Exception {
        Path tool = executable(folder.resolve("scripts/run"));

        assertThat(ProgramResolver.resolve("scripts/run", "", folder)).isEqualTo(tool);
    }

    @Test
    void emptyPathEntryMeansWorkdir() throws Exception {
        Path tool = executable(folder.resolve("local"));

        assertThat(ProgramResolver.resolve("local", "/nonexistent::", folder)).isEqualTo(tool);
    }

    @Test
    void missingProgramNamesPath() {
        assertThatThrownBy(() -> ProgramResolver.resolve("no-such-tool", "/a:/b", folder))
                .isInstanceOf(TaskStartException.class)
                .hasMessage("program not found: 'no-such-tool' is in no folder of PATH=/a:/b");
    }

    @Test
    void nonExecutableFileIsSkipped() throws IOException {
        Files.writeString(folder.resolve("data"), "not a program");

        assertThatThrownBy(() -> ProgramResolver.resolve("./data", null, folder))
                .isInstanceOf(TaskStartException.class)
                .hasMessageContaining("not executable");
    }

    @Test
    void unsetPathUsesDefault() throws TaskStartException {
        assertThat(ProgramResolver.resolve("sh", null, folder).toString()).endsWith("/sh");
    }

    private static Path executable(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
