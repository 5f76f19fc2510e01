package io.metaservice.bench;

import io.metaservice.guest.GuestAgent;
import io.metaservice.guest.GuestConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Idle guests: a host in its own JVM ({@link IdleHost}) holds a long poll open for each of
 * {@code guests} simulated guests while a real {@link GuestAgent} answers timed get-artifact
 * actions; the baseline is the same host with no idle guests.
 */
final class IdleGuestsBench {

    private static final long SETTLE_TIMEOUT_SECONDS = 120;

    private IdleGuestsBench() {
    }

    /** The figures of one host run. */
    record Sample(ProcessProbe probe, int poolThreads, double p50, double p99, double max,
            double loadGeneratorCpuShare, long pollFailures) {
    }

    static List<Figure> run(int guests, int actions, List<String> hostJvmOptions, Path directory)
            throws Exception {
        Sample baseline = sample(0, actions, hostJvmOptions, directory);
        Sample loaded = sample(guests, actions, hostJvmOptions, directory);
        String prefix = String.format(Locale.ROOT, "%,d idle guests: ", guests);
        String load = String.format(Locale.ROOT, "load generator thread %.0f%% of a core; %d poll failures",
                100 * loaded.loadGeneratorCpuShare(), loaded.pollFailures());
        List<Figure> figures = new ArrayList<>();
        figures.add(new Figure(prefix + "host heap after GC", loaded.probe().heapMiB(),
                baseline.probe().heapMiB(), "MiB", false, "live set after System.gc()"));
        figures.add(new Figure(prefix + "host RSS", loaded.probe().rssMiB(),
                baseline.probe().rssMiB(), "MiB", false, "VmRSS"));
        figures.add(new Figure(prefix + "host threads", loaded.probe().threads(),
                baseline.probe().threads(), "threads", false,
                "Jetty pool " + loaded.poolThreads() + " of them"));
        figures.add(new Figure(prefix + "action p50", loaded.p50(), baseline.p50(), "ms", false,
                actions + " get-artifact calls"));
        figures.add(new Figure(prefix + "action p99", loaded.p99(), baseline.p99(), "ms", false, load));
        figures.add(new Figure(prefix + "action max", loaded.max(), baseline.max(), "ms", false, ""));
        return figures;
    }

    static Sample sample(int guests, int actions, List<String> hostJvmOptions, Path directory)
            throws Exception {
        Path oneByte = directory.resolve("idle-one-byte.bin");
        Files.write(oneByte, new byte[] {'x'});
        try (ChildJvm host = ChildJvm.start(ChildJvm.command(hostJvmOptions, IdleHost.class,
                String.valueOf(guests), directory.toString(), oneByte.toString()))) {
            String ready = host.readLine();
            if (!ready.startsWith("port ")) {
                throw new IllegalStateException("host printed '" + ready + "', expected 'port N'");
            }
            int port = Integer.parseInt(ready.substring("port ".length()));
            URI base = URI.create("http://127.0.0.1:" + port + "/");
            try (GuestAgent agent = new GuestAgent(base, GuestConfig.defaults());
                    IdlePollers pollers = IdlePollers.start(guests, port)) {
                agent.startPolling();
                if (!pollers.awaitConnected(SETTLE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("pollers did not connect within "
                            + SETTLE_TIMEOUT_SECONDS + " s: " + pollers.firstFailure());
                }
                awaitParked(host, guests + 1);
                host.ask("actions " + Math.max(100, actions / 5));
                long cpuBefore = pollers.cpuNanos();
                long wallBefore = System.nanoTime();
                String[] latency = host.ask("actions " + actions).split(" ");
                String[] probe = host.ask("probe").trim().split(" ");
                double cpuShare = (double) (pollers.cpuNanos() - cpuBefore)
                        / (System.nanoTime() - wallBefore);
                ProcessProbe process = ProcessProbe.parse(String.join(" ", probe[0], probe[1],
                        probe[2], probe[3]));
                if (pollers.failures() > 0) {
                    System.err.println("bench: " + pollers.failures() + " poll failures, first: "
                            + pollers.firstFailure());
                }
                return new Sample(process, Integer.parseInt(probe[4]),
                        Double.parseDouble(latency[0]), Double.parseDouble(latency[1]),
                        Double.parseDouble(latency[2]), cpuShare, pollers.failures());
            }
        } finally {
            Files.deleteIfExists(oneByte);
        }
    }

    private static void awaitParked(ChildJvm host, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_TIMEOUT_SECONDS);
        int parked = 0;
        while (System.nanoTime() < deadline) {
            parked = Integer.parseInt(host.ask("parked").trim());
            if (parked >= expected) {
                return;
            }
            // Polling a child's counter has no event to wait on; a short pause bounds the rate.
            Thread.sleep(200);
        }
        throw new IllegalStateException(parked + " polls parked after " + SETTLE_TIMEOUT_SECONDS
                + " s, expected " + expected);
    }
}
