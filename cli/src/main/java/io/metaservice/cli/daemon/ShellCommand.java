package io.metaservice.cli.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.metaservice.cli.shell.ShellTerminal;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code metaservice shell GUEST [-- COMMAND...]}: an interactive shell in a guest. */
@Command(
        name = "shell",
        mixinStandardHelpOptions = true,
        showEndOfOptionsDelimiterInUsageHelp = true,
        description = {"Opens a shell in a guest, or runs COMMAND there, attached to this terminal:"
                + " in raw mode with window size changes when standard input is a terminal, else"
                + " as plain streams with stdout and stderr apart.",
            "Put COMMAND after --, so that its options are not read as this command's."},
        footer = {"", "Exit codes: 0 when the shell's command succeeded, 1 when it failed, was"
                + " aborted or the connection broke, 2 usage error."})
public final class ShellCommand extends ClientCommand {

    @Option(names = "--tty", negatable = true,
            description = "Give the shell a pseudo-terminal (default: when standard input is a terminal).")
    private Boolean tty;

    @Parameters(index = "0", paramLabel = "GUEST", description = "The guest's id, as 'metaservice guests' lists it.")
    private String guest;

    @Parameters(index = "1..*", paramLabel = "COMMAND",
            description = "Command and arguments to run (default: the guest's default shell).")
    private List<String> command = new ArrayList<>();

    @Override
    int run(ControlClient client) throws ControlException, Exception {
        quietShellLogging();
        boolean terminal = ShellTerminal.isStandardInputTerminal();
        boolean useTty = tty != null ? tty : terminal;
        HostShell shell = client.shell(guest, command, useTty);
        ShellResult result;
        try {
            result = useTty && terminal ? ShellTerminal.attachTerminal(shell)
                    : ShellTerminal.attachStreams(shell, System.in, System.out, System.err);
        } catch (HostOperationException e) {
            return fail("guest " + guest + ": the shell broke off: " + e.getMessage());
        }
        if (result == ShellResult.ABORTED) {
            return fail("guest " + guest + ": the shell was aborted");
        }
        return result == ShellResult.SUCCESS ? 0 : 1;
    }

    /**
     * Keeps the shell's connect and end messages off the terminal that the shell uses, unless
     * --verbose asked for DEBUG messages.
     */
    private static void quietShellLogging() {
        if (LoggerFactory.getLogger("io.metaservice").isDebugEnabled()) {
            return;
        }
        if (LoggerFactory.getLogger(HostShell.class) instanceof Logger logger) {
            logger.setLevel(Level.WARN);
        }
    }
}
