package io.metaservice.host.shell;

import io.metaservice.protocol.shell.ShellProtocol;
import java.time.Duration;
import java.util.Objects;

/**
 * Time-outs of a shell connection. Tests shorten them; production uses {@link #DEFAULTS}.
 *
 * @param pingInterval time between websocket pings
 * @param silenceTimeout a connection with no message or pong for this long is given up
 * @param writeTimeout a write with no progress for this long fails the connection
 * @param abortGrace after an abort, time the guest has to close before the host closes
 */
public record ShellTimeouts(
        Duration pingInterval, Duration silenceTimeout, Duration writeTimeout, Duration abortGrace) {

    public static final ShellTimeouts DEFAULTS = new ShellTimeouts(ShellProtocol.PING_INTERVAL,
            ShellProtocol.SILENCE_TIMEOUT, ShellProtocol.WRITE_TIMEOUT, Duration.ofSeconds(5));

    public ShellTimeouts {
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(silenceTimeout, "silenceTimeout");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        Objects.requireNonNull(abortGrace, "abortGrace");
    }

    /** Returns the period of the check that sends pings and detects silence and stalls. */
    Duration checkPeriod() {
        Duration period = pingInterval;
        for (Duration other : new Duration[] {silenceTimeout.dividedBy(3), writeTimeout.dividedBy(3)}) {
            if (other.compareTo(period) < 0) {
                period = other;
            }
        }
        return period.isZero() ? Duration.ofMillis(1) : period;
    }
}
