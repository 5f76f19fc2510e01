package io.metaservice.bench;

import io.metaservice.guest.GuestAgent;
import io.metaservice.guest.GuestConfig;
import io.metaservice.host.Artifact;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Artifact download and action round trip, through a real {@link GuestAgent} polling a
 * {@link BenchHost} in the same process.
 */
final class ArtifactBench {

    private ArtifactBench() {
    }

    /** Downloads a {@code bytes}-byte file through get-artifact, against a loopback file copy. */
    static Figure download(long bytes, Path directory) throws Exception {
        Path source = directory.resolve("artifact.bin");
        writeFile(source, bytes);
        Path copy = directory.resolve("artifact-copy.bin");
        try {
            Loopback.copyFileOverSocket(source, copy);
            long baselineNanos = Loopback.copyFileOverSocket(source, copy);
            Files.delete(copy);
            long hostNanos;
            try (BenchHost host = new BenchHost(0, directory);
                    GuestAgent agent = new GuestAgent(host.baseUri(), GuestConfig.defaults())) {
                agent.startPolling();
                fetch(host, source.toString(), bytes);
                long start = System.nanoTime();
                fetch(host, source.toString(), bytes);
                hostNanos = System.nanoTime() - start;
            }
            return new Figure("artifact download", Stats.mibPerSecond(bytes, hostNanos),
                    Stats.mibPerSecond(bytes, baselineNanos), "MiB/s", true,
                    (bytes >> 20) + " MiB into a temporary file");
        } finally {
            Files.deleteIfExists(source);
            Files.deleteIfExists(copy);
        }
    }

    /**
     * Times {@code calls} sequential get-artifact calls of a 1-byte file and as many HTTP
     * {@code GET}s of a 1-byte body on the same server; returns p50, p99 and max.
     */
    static Figure[] roundTrip(int calls, Path directory) throws Exception {
        Path source = directory.resolve("one-byte.bin");
        Files.write(source, new byte[] {'x'});
        try (BenchHost host = new BenchHost(0, directory);
                GuestAgent agent = new GuestAgent(host.baseUri(), GuestConfig.defaults())) {
            agent.startPolling();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest get = HttpRequest.newBuilder(host.baseUri().resolve(SourceRouter.ONE_BYTE_PATH))
                    .timeout(Duration.ofSeconds(10)).build();
            int warmUp = Math.max(100, calls / 5);
            timeGets(client, get, warmUp);
            Stats baseline = timeGets(client, get, calls);
            timeFetches(host, source.toString(), warmUp);
            Stats actions = timeFetches(host, source.toString(), calls);
            String note = calls + " sequential calls";
            return new Figure[] {
                new Figure("action round trip p50", actions.percentileMillis(50),
                        baseline.percentileMillis(50), "ms", false, note),
                new Figure("action round trip p99", actions.percentileMillis(99),
                        baseline.percentileMillis(99), "ms", false, note),
                new Figure("action round trip max", actions.maxMillis(), baseline.maxMillis(),
                        "ms", false, note),
            };
        } finally {
            Files.deleteIfExists(source);
        }
    }

    static Stats timeFetches(BenchHost host, String path, int calls) throws Exception {
        long[] nanos = new long[calls];
        for (int i = 0; i < calls; i++) {
            long start = System.nanoTime();
            fetch(host, path, 1);
            nanos[i] = System.nanoTime() - start;
        }
        return new Stats(nanos);
    }

    private static Stats timeGets(HttpClient client, HttpRequest get, int calls) throws Exception {
        long[] nanos = new long[calls];
        for (int i = 0; i < calls; i++) {
            long start = System.nanoTime();
            HttpResponse<byte[]> response = client.send(get, HttpResponse.BodyHandlers.ofByteArray());
            nanos[i] = System.nanoTime() - start;
            if (response.statusCode() != 200 || response.body().length != 1) {
                throw new IOException("GET " + get.uri() + " returned " + response.statusCode()
                        + " with " + response.body().length + " bytes, expected 200 with 1 byte");
            }
        }
        return new Stats(nanos);
    }

    private static void fetch(BenchHost host, String path, long expectedBytes) throws Exception {
        try (Artifact artifact = host.defaultService().getArtifact(path)) {
            if (artifact.size() != expectedBytes) {
                throw new IOException("artifact " + path + " has " + artifact.size()
                        + " bytes, expected " + expectedBytes);
            }
        }
    }

    static void writeFile(Path file, long bytes) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            Loopback.writeZeros(out, bytes);
        }
    }
}
