package io.metaservice.bench;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Log ingest: guests stream zero bytes through {@code POST /engine/v1/log} into a discarding
 * sink, against plain loopback sockets that carry the same bytes to a discarding reader.
 */
final class LogIngestBench {

    private static final long TIMEOUT_SECONDS = 600;

    private LogIngestBench() {
    }

    /** Streams {@code bytesEach} from each of {@code guests} guests at once. */
    static Figure run(String name, int guests, long bytesEach, Path temporaryDirectory)
            throws Exception {
        long total = guests * bytesEach;
        // Warm both paths up with a tenth of the bytes, so that JIT compilation is not timed.
        Loopback.copyToDiscard(guests, Math.max(1, bytesEach / 10));
        long baselineNanos = Loopback.copyToDiscard(guests, bytesEach);
        long hostNanos;
        try (BenchHost host = new BenchHost(guests, temporaryDirectory)) {
            ingest(host, guests, Math.max(1, bytesEach / 10));
            hostNanos = ingest(host, guests, bytesEach);
        }
        double baseline = Stats.mibPerSecond(total, baselineNanos);
        double value = Stats.mibPerSecond(total, hostNanos);
        String note = guests + " x " + (bytesEach >> 20) + " MiB";
        return new Figure(name, value, baseline, "MiB/s", true, note);
    }

    private static long ingest(BenchHost host, int guests, long bytesEach) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(guests);
        try {
            List<Future<Integer>> posts = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < guests; i++) {
                // A single guest posts from 127.0.0.1, the default service; many use their own.
                InetAddress source = guests == 1 ? null : SourceRouter.guestAddress(i);
                posts.add(threads.submit(() -> HttpWire.postLog(source, host.port(), bytesEach)));
            }
            for (Future<Integer> post : posts) {
                int status = post.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (status != 200) {
                    throw new IllegalStateException("log POST returned " + status + ", expected 200");
                }
            }
            return System.nanoTime() - start;
        } finally {
            threads.shutdownNow();
        }
    }
}
