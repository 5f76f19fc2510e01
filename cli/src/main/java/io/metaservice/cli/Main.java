package io.metaservice.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.metaservice.cli.daemon.CpCommand;
import io.metaservice.cli.daemon.GuestsCommand;
import io.metaservice.cli.daemon.KillCommand;
import io.metaservice.cli.daemon.LogsCommand;
import io.metaservice.cli.daemon.ReleaseCommand;
import io.metaservice.cli.daemon.ServeCommand;
import io.metaservice.cli.daemon.ShellCommand;
import io.metaservice.cli.daemon.WaitCommand;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code metaservice} command. Exit codes: 0 for success, 1 for a failed task or run,
 * 2 for a usage error.
 */
@Command(
        name = "metaservice",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {RunCommand.class, GuestCommand.class, ImageCommand.class, ServeCommand.class,
            GuestsCommand.class, LogsCommand.class, WaitCommand.class, CpCommand.class, ShellCommand.class,
            KillCommand.class, ReleaseCommand.class},
        description = {
            "Runs a command in a guest through the meta-data service that virtual machines use"
                    + " to talk to their host, or runs the guest agent inside a virtual machine.",
            "Standard output carries only the task log; progress, errors and logging go to"
                    + " standard error."
        },
        footer = {"", "Exit codes: 0 success, 1 failed task or run, 2 usage error."})
public final class Main implements Runnable {

    /** Logger whose level {@code --verbose} lowers to DEBUG. */
    static final String PROJECT_LOGGER = "io.metaservice";
    /** Logger of the virtual machine launcher, whose lifecycle lines a run always shows. */
    private static final String VM_LOGGER = "io.metaservice.vm";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Entry point: runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code, without exiting. */
    static int execute(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.getSubcommands().get(RunCommand.NAME).setStopAtPositional(true);
        commandLine.setExecutionExceptionHandler(Main::reportFailure);
        return commandLine.execute(args);
    }

    @Option(
            names = {"-v", "--verbose"},
            scope = ScopeType.INHERIT,
            description = "Log DEBUG messages of metaservice to standard error.")
    void setVerbose(boolean verbose) {
        Logger logger = (Logger) LoggerFactory.getLogger(PROJECT_LOGGER);
        logger.setLevel(verbose ? Level.DEBUG : null);
    }

    /**
     * Raises the root log level to WARN unless {@code --verbose} is in effect, for commands whose
     * standard error should carry little more than their own messages. The virtual machine's
     * lifecycle lines stay at INFO, as the progress of a boot that takes seconds.
     */
    static void quietUnlessVerbose() {
        if (!isVerbose()) {
            ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
            ((Logger) LoggerFactory.getLogger(VM_LOGGER)).setLevel(Level.INFO);
        }
    }

    /** Returns whether {@code --verbose} is in effect, so that a child process can inherit it. */
    static boolean isVerbose() {
        return LoggerFactory.getLogger(PROJECT_LOGGER).isDebugEnabled();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "Missing command: use 'run', 'guest', 'image', 'serve' or a command"
                        + " of a running daemon; 'metaservice --help' lists them all.");
    }

    private static int reportFailure(
            Exception exception, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        err.println("metaservice: " + commandLine.getCommandName() + " failed: " + exception);
        LoggerFactory.getLogger(Main.class).debug("command failed", exception);
        err.flush();
        return CommandLine.ExitCode.SOFTWARE;
    }

    /** Reads the version from the jar manifest; a build from classes reports "development". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"metaservice " + (version == null ? "development" : version)};
        }
    }
}
