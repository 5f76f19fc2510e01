package io.metaservice.guest.shell;

import io.metaservice.protocol.shell.ShellProtocol;
import java.time.Duration;
import java.util.Objects;

/**
 * Time-outs of the guest's end of a shell. Production uses {@link #DEFAULTS}; tests shorten
 * them.
 *
 * @param pingInterval time between websocket pings
 * @param silenceTimeout a connection with no message, ping or pong for this long is given up
 * @param writeTimeout a send that makes no progress for this long fails the connection
 * @param handshakeTimeout time allowed to open the websocket
 * @param closeTimeout time the host has to send its close in reply before the connection
 *     is dropped
 * @param drainQuiet after the process exits, how long its output may stay silent before the
 *     streams end, because a background child can keep them open
 * @param drainMaximum after the process exits, the maximum time before the streams end
 */
public record GuestShellTimeouts(
        Duration pingInterval,
        Duration silenceTimeout,
        Duration writeTimeout,
        Duration handshakeTimeout,
        Duration closeTimeout,
        Duration drainQuiet,
        Duration drainMaximum) {

    public static final GuestShellTimeouts DEFAULTS = new GuestShellTimeouts(
            ShellProtocol.PING_INTERVAL,
            ShellProtocol.SILENCE_TIMEOUT,
            ShellProtocol.WRITE_TIMEOUT,
            ShellProtocol.HANDSHAKE_TIMEOUT,
            Duration.ofSeconds(5),
            Duration.ofMillis(250),
            Duration.ofSeconds(10));

    public GuestShellTimeouts {
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(silenceTimeout, "silenceTimeout");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        Objects.requireNonNull(drainQuiet, "drainQuiet");
        Objects.requireNonNull(drainMaximum, "drainMaximum");
    }

    /** Returns the period of the checks for pings, silence, stalled writes and draining. */
    Duration checkPeriod() {
        Duration period = Duration.ofMillis(200);
        for (Duration candidate : new Duration[] {pingInterval, silenceTimeout.dividedBy(3),
                writeTimeout.dividedBy(3), drainQuiet.dividedBy(2)}) {
            if (candidate.compareTo(period) < 0) {
                period = candidate;
            }
        }
        return period.compareTo(Duration.ofMillis(5)) < 0 ? Duration.ofMillis(5) : period;
    }
}
