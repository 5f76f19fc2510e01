package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code metaservice kill GUEST}: kills a guest's task. */
@Command(
        name = "kill",
        mixinStandardHelpOptions = true,
        description = "Asks a guest to kill its task's whole process tree, and returns once the guest"
                + " has started. The guest then reports the task as failed.",
        footer = {"", "Exit codes: 0 success, 1 when the guest did not take the request or the daemon"
                + " cannot be reached, 2 usage error."})
public final class KillCommand extends ClientCommand {

    @Parameters(paramLabel = "GUEST", description = "The guest's id, as 'metaservice guests' lists it.")
    private String guest;

    @Override
    int run(ControlClient client) throws ControlException, Exception {
        client.kill(guest);
        System.err.println("metaservice kill: guest " + guest + " is killing its task");
        return 0;
    }
}
