package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.ControlEndpoint;
import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options that every client command of the daemon shares: where it listens, and the token. */
public final class ControlOptions {

    @Option(names = "--control", paramLabel = "ADDR",
            description = {"The daemon's control API: unix:PATH for its Unix socket, or a loopback"
                    + " HOST:PORT.",
                "Default: $" + DaemonDefaults.CONTROL_VARIABLE + " if set, else the socket that"
                        + " metaservice serve creates by default: $${XDG_RUNTIME_DIR}/metaservice/"
                        + DaemonDefaults.CONTROL_SOCKET + ", or metaservice-USER/"
                        + DaemonDefaults.CONTROL_SOCKET + " in the temporary folder."})
    private String control;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File with the bearer token of a daemon that requires one. Default: the"
                    + " token in $" + DaemonDefaults.TOKEN_VARIABLE + ", if set.")
    private Path tokenFile;

    /**
     * Connects to the daemon.
     *
     * @throws CommandLine.ParameterException for an invalid endpoint or an unreadable token
     */
    public ControlClient connect(CommandLine commandLine) throws ControlException {
        return ControlClient.connect(endpoint(commandLine), token(commandLine));
    }

    private ControlEndpoint endpoint(CommandLine commandLine) {
        String value = control != null ? control : System.getenv(DaemonDefaults.CONTROL_VARIABLE);
        if (value == null || value.isEmpty()) {
            return DaemonDefaults.control();
        }
        try {
            return ControlEndpoint.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, "Invalid --control " + value + ": "
                    + e.getMessage());
        }
    }

    private String token(CommandLine commandLine) {
        if (tokenFile == null) {
            String token = System.getenv(DaemonDefaults.TOKEN_VARIABLE);
            return token == null || token.isBlank() ? null : token.strip();
        }
        return readToken(tokenFile, commandLine);
    }

    /** Reads a token file: its content without surrounding white space, which must not be empty. */
    static String readToken(Path file, CommandLine commandLine) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new CommandLine.ParameterException(commandLine, "Cannot read the token file " + file
                    + ": " + e.getMessage());
        }
        if (token.isEmpty()) {
            throw new CommandLine.ParameterException(commandLine, "The token file " + file
                    + " is empty; write the token into it");
        }
        return token;
    }
}
