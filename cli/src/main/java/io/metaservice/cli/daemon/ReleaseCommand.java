package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code metaservice release GUEST}: releases a guest. */
@Command(
        name = "release",
        mixinStandardHelpOptions = true,
        description = "Releases a guest: its pending requests fail, its shells close, and its route"
                + " responds 404 until the daemon removes the guest with its files. Releasing a"
                + " released guest does nothing.",
        footer = {"", "Exit codes: 0 success, 1 when the guest or the daemon cannot be reached,"
                + " 2 usage error."})
public final class ReleaseCommand extends ClientCommand {

    @Parameters(paramLabel = "GUEST", description = "The guest's id, as 'metaservice guests' lists it.")
    private String guest;

    @Override
    int run(ControlClient client) throws ControlException, Exception {
        client.release(guest);
        System.err.println("metaservice release: guest " + guest + " released");
        return 0;
    }
}
