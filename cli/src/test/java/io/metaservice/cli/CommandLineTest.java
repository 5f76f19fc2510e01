package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Help and usage errors of every command, each in a real JVM. */
@Timeout(300)
class CommandLineTest {

    /** A port that nothing in these tests listens on; each command here fails before using it. */
    private static final String UNUSED_HOST = "127.0.0.1:9";

    @TempDir
    Path workdir;

    static Stream<Arguments> helpOfEachCommand() {
        return Stream.of(
                Arguments.of(List.of(), List.of("--verbose", "--help", "--version", "run", "guest")),
                Arguments.of(List.of("run"), List.of("--artifact", "--artifacts-dir", "--env",
                        "--listen", "--no-local-guest", "--timeout", "COMMAND", "SECONDS")),
                Arguments.of(List.of("guest"), List.of("--host", "--config", "run", "post-log",
                        "169.254.169.254:80")),
                Arguments.of(List.of("guest", "run"), List.of("--help", "--verbose")),
                Arguments.of(List.of("guest", "post-log"), List.of("FILE|-", "--help")));
    }

    @ParameterizedTest
    @MethodSource
    void helpOfEachCommand(List<String> command, List<String> expectedWords) throws Exception {
        String[] args = Stream.concat(command.stream(), Stream.of("--help")).toArray(String[]::new);

        CliProcess cli = CliProcess.run(workdir, args);

        cli.assertExitCode(0);
        String help = cli.stdout().text();
        assertThat(help).contains(expectedWords);
        for (String option : optionNames(command)) {
            assertThat(help).as("help of %s", command).contains(option);
        }
        assertThat(cli.stderr().text()).isEmpty();
    }

    static Stream<Arguments> usageErrorsExitTwo() {
        return Stream.of(
                Arguments.of(List.of(), "Missing command"),
                Arguments.of(List.of("no-such-command"), "no-such-command"),
                Arguments.of(List.of("run"), "COMMAND"),
                Arguments.of(List.of("run", "--timeout", "soon", "--", "true"), "--timeout"),
                Arguments.of(List.of("run", "--timeout", "0", "--", "true"), "positive number of seconds"),
                Arguments.of(List.of("run", "--env", "NO_EQUALS_SIGN", "--", "true"), "--env"),
                Arguments.of(List.of("run", "--env", "=value", "--", "true"), "variable name is empty"),
                Arguments.of(List.of("run", "--artifact", "../up.txt", "--", "true"), "must not contain '..'"),
                Arguments.of(List.of("run", "--artifact", "", "--", "true"), "the path is empty"),
                Arguments.of(List.of("run", "--listen", "192.0.2.10:8080", "--", "true"), "not a loopback"),
                Arguments.of(List.of("run", "--listen", "example.com:8080", "--", "true"), "loopback IP"),
                Arguments.of(List.of("run", "--listen", "127.0.0.1", "--", "true"), "expected HOST:PORT"),
                Arguments.of(List.of("run", "--listen", "127.0.0.1:70000", "--", "true"), "65535"),
                Arguments.of(List.of("run", "--listen", "unix:/tmp/never.sock", "--", "true"),
                        "needs --no-local-guest"),
                Arguments.of(List.of("guest", "--host", "127.0.0.1:port", "run"), "invalid port"),
                Arguments.of(List.of("guest", "--host", "host/path", "run"), "invalid host"),
                Arguments.of(List.of("guest", "--host", UNUSED_HOST, "post-log"), "FILE|-"));
    }

    @ParameterizedTest
    @MethodSource
    void usageErrorsExitTwo(List<String> args, String expectedMessage) throws Exception {
        CliProcess cli = CliProcess.run(workdir, args.toArray(String[]::new));

        cli.assertExitCode(2);
        assertThat(cli.stderr().text()).contains(expectedMessage);
        assertThat(cli.stdout().text()).isEmpty();
    }

    @Test
    void missingGuestConfigExitsOne() throws Exception {
        Path missing = workdir.resolve("no-such-guest.yaml");

        CliProcess cli = CliProcess.run(workdir, "guest", "--host", UNUSED_HOST, "--config",
                missing.toString(), "run");

        cli.assertExitCode(1);
        assertThat(cli.stderr().text()).contains("cannot read the guest configuration " + missing);
    }

    @Test
    void versionNamesProduct() throws Exception {
        CliProcess cli = CliProcess.run(workdir, "--version");

        cli.assertExitCode(0);
        assertThat(cli.stdout().text()).startsWith("metaservice ");
    }

    /** Returns the long option names that the command's model declares. */
    private static List<String> optionNames(List<String> command) {
        CommandLine commandLine = new CommandLine(new Main());
        for (String name : command) {
            commandLine = commandLine.getSubcommands().get(name);
        }
        return commandLine.getCommandSpec().options().stream()
                .map(OptionSpec::longestName)
                .toList();
    }
}
