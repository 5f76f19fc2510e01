package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * A command that talks to a running daemon: connects with the shared options, runs, and turns
 * a failed request into one line on standard error and exit code 1.
 */
abstract class ClientCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ControlOptions controlOptions;

    @Override
    public final Integer call() throws Exception {
        try (ControlClient client = controlOptions.connect(spec.commandLine())) {
            return run(client);
        } catch (ControlException e) {
            return fail(e.getMessage());
        }
    }

    /** Runs the command and returns its exit code. */
    abstract int run(ControlClient client) throws ControlException, Exception;

    /** Prints {@code metaservice NAME: message} to standard error and returns exit code 1. */
    int fail(String message) {
        PrintStream err = System.err;
        err.println("metaservice " + spec.name() + ": " + message);
        err.flush();
        return 1;
    }
}
