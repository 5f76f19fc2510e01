package io.metaservice.bench;

import io.metaservice.guest.GuestAgent;
import io.metaservice.guest.GuestConfig;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import io.metaservice.protocol.shell.ShellProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Shell throughput each way through a real {@link GuestAgent}'s shell, against the flow-control
 * ceiling: the unacknowledged window divided by the round trip of a 1-byte message through
 * {@code cat} in the same shell set-up.
 */
final class ShellBench {

    private static final int ROUND_TRIPS = 200;

    private ShellBench() {
    }

    static List<Figure> run(long bytes, Path directory) throws Exception {
        try (BenchHost host = new BenchHost(0, directory);
                GuestAgent agent = new GuestAgent(host.baseUri(), GuestConfig.defaults())) {
            agent.startPolling();
            double roundTripSeconds = medianRoundTripSeconds(host);
            double ceiling = ShellProtocol.WINDOW_SIZE / (1024.0 * 1024.0) / roundTripSeconds;
            send(host, bytes / 8);
            long inNanos = send(host, bytes);
            receive(host, bytes / 8);
            long outNanos = receive(host, bytes);
            String note = String.format(java.util.Locale.ROOT,
                    "%d MiB; ceiling = %d KiB window / %.3f ms round trip",
                    bytes >> 20, ShellProtocol.WINDOW_SIZE / 1024, roundTripSeconds * 1000);
            return List.of(
                    new Figure("shell stdin (host to guest)", Stats.mibPerSecond(bytes, inNanos),
                            ceiling, "MiB/s", true, note),
                    new Figure("shell stdout (guest to host)", Stats.mibPerSecond(bytes, outNanos),
                            ceiling, "MiB/s", true, note));
        }
    }

    /** Writes {@code bytes} into {@code cat > /dev/null} and returns the nanoseconds to exit. */
    private static long send(BenchHost host, long bytes) throws Exception {
        long start = System.nanoTime();
        try (HostShell shell = host.defaultService().execShell(
                List.of("sh", "-c", "cat > /dev/null"), false)) {
            try (OutputStream stdin = shell.stdin()) {
                Loopback.writeZeros(stdin, bytes);
            }
            requireSuccess(shell.waitFor());
        }
        return System.nanoTime() - start;
    }

    /** Reads {@code bytes} from {@code head -c} of /dev/zero and returns the nanoseconds. */
    private static long receive(BenchHost host, long bytes) throws Exception {
        long start = System.nanoTime();
        try (HostShell shell = host.defaultService().execShell(
                List.of("head", "-c", Long.toString(bytes), "/dev/zero"), false)) {
            shell.stdin().close();
            Loopback.discard(shell.stdout(), bytes);
            if (shell.stdout().read() >= 0) {
                throw new IOException("shell wrote more than " + bytes + " bytes");
            }
            requireSuccess(shell.waitFor());
        }
        return System.nanoTime() - start;
    }

    private static double medianRoundTripSeconds(BenchHost host) throws Exception {
        long[] nanos = new long[ROUND_TRIPS];
        try (HostShell shell = host.defaultService().execShell(List.of("cat"), false)) {
            OutputStream stdin = shell.stdin();
            InputStream stdout = shell.stdout();
            for (int i = 0; i < ROUND_TRIPS; i++) {
                long start = System.nanoTime();
                stdin.write('x');
                stdin.flush();
                if (stdout.read() < 0) {
                    throw new IOException("cat ended before echoing a byte");
                }
                nanos[i] = System.nanoTime() - start;
            }
            stdin.close();
            requireSuccess(shell.waitFor());
        }
        Arrays.sort(nanos);
        return nanos[ROUND_TRIPS / 2] / 1e9;
    }

    private static void requireSuccess(ShellResult result) throws IOException {
        if (result != ShellResult.SUCCESS) {
            throw new IOException("shell failed: " + result);
        }
    }
}
