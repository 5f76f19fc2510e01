package io.metaservice.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Moves a 1 GiB artifact through a host JVM whose heap is capped at 64 MiB. */
class LargeArtifactTest {

    private static final long SIZE = 1L << 30;

    @TempDir
    Path temp;

    @Test
    void gibibyteArtifactThroughSmallHeap() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process host = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                LargeArtifactHost.class.getName(), temp.toString())
                .redirectError(temp.resolve("host.err").toFile())
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8))) {
            String portLine = out.readLine();
            assertThat(portLine).as("host output, see %s", temp.resolve("host.err")).startsWith("port ");
            URI base = URI.create("http://127.0.0.1:" + portLine.substring(5) + "/");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

            Action action = pollForAction(http, base);
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            HttpResponse<String> reply = http.send(HttpRequest.newBuilder(base.resolve("/engine/v1/reply?id=" + action.id()))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new RandomStream(SIZE, sent)))
                    .timeout(Duration.ofMinutes(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            String result = out.readLine();

            assertThat(reply.statusCode()).isEqualTo(200);
            assertThat(result).isNotNull();
            String[] fields = result.split(" ");
            assertThat(fields[1]).isEqualTo(HexFormat.of().formatHex(sent.digest()));
            assertThat(Long.parseLong(fields[3])).isEqualTo(SIZE);
            assertThat(Long.parseLong(fields[5])).isLessThanOrEqualTo(64L << 20);
            assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(host.exitValue()).isZero();
            try (Stream<Path> left = Files.list(temp)) {
                assertThat(left.map(Path::getFileName).map(Path::toString)).containsExactly("host.err");
            }
        } finally {
            host.destroyForcibly();
            host.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Action pollForAction(HttpClient http, URI base) throws Exception {
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> poll = http.send(HttpRequest.newBuilder(base.resolve("/engine/v1/poll"))
                    .timeout(Duration.ofSeconds(40)).build(), HttpResponse.BodyHandlers.ofString());
            Action action = Json.MAPPER.readValue(poll.body(), Action.class);
            if (action.type() == ActionType.GET_ARTIFACT) {
                return action;
            }
        }
        throw new AssertionError("no get-artifact action arrived");
    }

    /** Pseudo-random bytes of a fixed length, digested as they are read. */
    private static final class RandomStream extends InputStream {
        private final Random random = new Random(42);
        private final MessageDigest digest;
        private final byte[] block = new byte[1 << 16];
        private long remaining;

        RandomStream(long size, MessageDigest digest) {
            this.remaining = size;
            this.digest = digest;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(Math.min(length, block.length), remaining);
            random.nextBytes(block);
            System.arraycopy(block, 0, target, offset, n);
            digest.update(target, offset, n);
            remaining -= n;
            return n;
        }
    }
}
