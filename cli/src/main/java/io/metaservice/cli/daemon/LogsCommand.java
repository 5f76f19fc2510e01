package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import io.metaservice.host.daemon.control.ControlBodies;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code metaservice logs [-f] GUEST}: a guest's task log on standard output. */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        description = "Writes a guest's task log, from its start, to standard output, byte for byte.",
        footer = {"", "Exit codes: 0 success, 1 when the guest or the daemon cannot be reached or the"
                + " stream broke, 2 usage error."})
public final class LogsCommand extends ClientCommand {

    @Option(names = {"-f", "--follow"},
            description = "Keep writing new output until the guest reports its result or is released.")
    private boolean follow;

    @Parameters(paramLabel = "GUEST", description = "The guest's id, as 'metaservice guests' lists it.")
    private String guest;

    @Override
    int run(ControlClient client) throws ControlException, Exception {
        PrintStream out = System.out;
        long copied = 0;
        try (InputStream log = client.log(guest, follow)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = log.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
                copied += n;
            }
        } catch (IOException e) {
            return fail("guest " + guest + ": the log stream broke off after " + copied + " bytes: "
                    + e.getMessage());
        }
        ControlBodies.GuestInfo info = client.guest(guest);
        if (info.logDroppedBytes() > 0) {
            System.err.println("metaservice logs: guest " + guest + ": " + info.logDroppedBytes()
                    + " bytes beyond the daemon's log limit were dropped; raise --max-log-bytes of"
                    + " metaservice serve to keep more");
        }
        return 0;
    }
}
