package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.GuestState;
import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import io.metaservice.host.daemon.control.ControlApi;
import io.metaservice.host.daemon.control.ControlBodies;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code metaservice wait GUEST}: waits for a guest's result and exits with it. */
@Command(
        name = "wait",
        mixinStandardHelpOptions = true,
        description = "Waits until a guest reports its result, then prints 'success' or 'failure'"
                + " on standard output.",
        footer = {"", "Exit codes: 0 when the task succeeded, 1 when it failed, the guest was"
                + " released without a result, the wait timed out or the daemon cannot be reached,"
                + " 2 usage error."})
public final class WaitCommand extends ClientCommand {

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Conversions.Time.class,
            description = "Give up after this long, such as 10m (default: wait as long as it takes).")
    private Duration timeout;

    @Parameters(paramLabel = "GUEST", description = "The guest's id, as 'metaservice guests' lists it.")
    private String guest;

    @Override
    int run(ControlClient client) throws ControlException, Exception {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Duration wait = ControlApi.MAX_RESULT_WAIT;
            if (timeout != null && left < wait.toNanos()) {
                wait = Duration.ofNanos(Math.max(0, left));
            }
            ControlBodies.ResultInfo result = client.result(guest, wait);
            if (result.result() != null) {
                System.out.println(result.result());
                return ControlApi.SUCCESS.equals(result.result()) ? 0 : 1;
            }
            if (result.state() == GuestState.RELEASED) {
                return fail("guest " + guest + " was released before it reported a result");
            }
            if (timeout != null && deadline - System.nanoTime() <= 0) {
                return fail("guest " + guest + " reported no result within " + timeout.toSeconds()
                        + " s; it is " + result.state().wireName());
            }
        }
    }
}
