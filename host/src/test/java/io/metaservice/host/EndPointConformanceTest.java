package io.metaservice.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndPointConformanceTest {

    @TempDir
    Path temp;
    ServiceFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ServiceFixture(temp);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    @Test
    void executeReturnsCommandAndEnv() throws Exception {
        HttpResponse<String> response = fixture.send("GET", "/engine/v1/execute");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("command").toString()).isEqualTo("[\"sh\",\"-c\",\"echo hi\"]");
        assertThat(body.get("env").toString()).isEqualTo("{\"GREETING\":\"hello\"}");
        assertThat(body.size()).isEqualTo(2);
    }

    @Test
    void pingReturnsEmptyOk() throws Exception {
        HttpResponse<String> response = fixture.send("GET", "/engine/v1/ping");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void wrongMethodGets405NamingAllowedMethod() throws Exception {
        Map<String, String> allowed = Map.of(
                "/engine/v1/execute", "GET",
                "/engine/v1/log", "POST",
                "/engine/v1/success", "PUT",
                "/engine/v1/failed", "PUT",
                "/engine/v1/ping", "GET",
                "/engine/v1/poll", "GET");
        for (Map.Entry<String, String> entry : allowed.entrySet()) {
            for (String method : List.of("GET", "POST", "PUT", "DELETE", "PATCH")) {
                if (method.equals(entry.getValue())) {
                    continue;
                }
                HttpResponse<String> response = fixture.send(method, entry.getKey());

                assertThat(response.statusCode()).as("%s %s", method, entry.getKey()).isEqualTo(405);
                JsonNode body = Json.MAPPER.readTree(response.body());
                assertThat(body.get("code").asText()).isEqualTo("MethodNotAllowed");
                assertThat(body.get("message").asText()).contains("'" + entry.getValue() + "'");
                assertThat(response.headers().firstValue("Allow")).contains(entry.getValue());
            }
        }
        assertThat(fixture.resultCalls.get()).isZero();
    }

    @Test
    void unknownPathGets404NoSuchEndPoint() throws Exception {
        for (String path : List.of("/engine/v1/nothing", "/engine/v2/execute", "/", "/latest/meta-data/",
                "/engine/v1/execute/extra", "/engine/v1/reply/x")) {
            HttpResponse<String> response = fixture.send("GET", path);

            assertThat(response.statusCode()).as(path).isEqualTo(404);
            JsonNode body = Json.MAPPER.readTree(response.body());
            assertThat(body.get("code").asText()).isEqualTo("NoSuchEndPoint");
            assertThat(body.get("message").asText()).isNotBlank();
        }
    }

    @Test
    void successTwiceRunsCallbackOnce() throws Exception {
        HttpResponse<String> first = fixture.send("PUT", "/engine/v1/success");
        HttpResponse<String> second = fixture.send("PUT", "/engine/v1/success");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEmpty();
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).isEmpty();
        assertThat(fixture.listenerResult.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fixture.service.result().get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fixture.resultCalls.get()).isEqualTo(1);
    }

    @Test
    void failedAfterSuccessGets409() throws Exception {
        fixture.send("PUT", "/engine/v1/success");

        HttpResponse<String> conflict = fixture.send("PUT", "/engine/v1/failed");

        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(Json.MAPPER.readTree(conflict.body()).get("code").asText()).isEqualTo("ResourceConflict");
        assertThat(fixture.service.result().get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void successAfterFailedGets409() throws Exception {
        HttpResponse<String> failed = fixture.send("PUT", "/engine/v1/failed");
        HttpResponse<String> again = fixture.send("PUT", "/engine/v1/failed");
        HttpResponse<String> conflict = fixture.send("PUT", "/engine/v1/success");

        assertThat(failed.statusCode()).isEqualTo(200);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(Json.MAPPER.readTree(conflict.body()).get("code").asText()).isEqualTo("ResourceConflict");
        assertThat(fixture.listenerResult.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(fixture.resultCalls.get()).isEqualTo(1);
    }

    @Test
    void concurrentResultReportsRunCallbackOnce() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            responses.add(fixture.http.sendAsync(HttpRequest.newBuilder(fixture.uri("/engine/v1/success"))
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }

        assertThat(fixture.listenerResult.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fixture.resultCalls.get()).isEqualTo(1);
    }

    @Test
    void logAppendsBodyAndReturnsEmptyOk() throws Exception {
        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(fixture.uri("/engine/v1/log"))
                .POST(HttpRequest.BodyPublishers.ofString("hello, log\n")));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(fixture.logText()).isEqualTo("hello, log\n");
        assertThat(fixture.service.logBytes()).isEqualTo(11);
    }

    @Test
    void logAcceptsChunkedStreamInOrder() throws Exception {
        List<byte[]> parts = new ArrayList<>();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            String part = "line " + i + " \u00e9\u4e2d\n";
            parts.add(part.getBytes(StandardCharsets.UTF_8));
            expected.append(part);
        }
        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(fixture.uri("/engine/v1/log"))
                .POST(HttpRequest.BodyPublishers.ofByteArrays(parts)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(fixture.logText()).isEqualTo(expected.toString());
    }

    @Test
    void concurrentLogsAreAllAppended() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String text = String.valueOf((char) ('a' + i)).repeat(100_000);
            responses.add(fixture.http.sendAsync(HttpRequest.newBuilder(fixture.uri("/engine/v1/log"))
                    .POST(HttpRequest.BodyPublishers.ofString(text)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }

        String log = fixture.logText();
        assertThat(log).hasSize(400_000);
        for (char c = 'a'; c < 'e'; c++) {
            char letter = c;
            assertThat(log.chars().filter(x -> x == letter).count()).isEqualTo(100_000);
        }
    }

    @Test
    void logSinkFailureGets500InternalError(@TempDir Path other) throws Exception {
        try (ServiceFixture broken = new ServiceFixture(other, builder -> builder.logSink(bytes -> {
            throw new IOException("disk full");
        }))) {
            HttpResponse<String> response = broken.send(HttpRequest.newBuilder(broken.uri("/engine/v1/log"))
                    .POST(HttpRequest.BodyPublishers.ofString("lost")));

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(Json.MAPPER.readTree(response.body()).get("code").asText()).isEqualTo("InternalError");
        }
    }

    @Test
    void logRequestsBeyondMaximumGet429(@TempDir Path other) throws Exception {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (ServiceFixture blocking = new ServiceFixture(other, builder -> builder.maxLogRequests(1).logSink(bytes -> {
            entered.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            bytes.position(bytes.limit());
        }));
                RawHttp stream = new RawHttp(blocking.server.baseUri())) {
            stream.write("POST /engine/v1/log HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab");
            assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();

            HttpResponse<String> second = blocking.send(HttpRequest.newBuilder(blocking.uri("/engine/v1/log"))
                    .POST(HttpRequest.BodyPublishers.ofString("c")));
            HttpResponse<String> ping = blocking.send("GET", "/engine/v1/ping");
            release.countDown();

            assertThat(second.statusCode()).isEqualTo(429);
            assertThat(Json.MAPPER.readTree(second.body()).get("code").asText()).isEqualTo("TooManyRequests");
            assertThat(ping.statusCode()).isEqualTo(200);
            assertThat(stream.readResponse()).startsWith("HTTP/1.1 200");
        } finally {
            release.countDown();
        }
    }

    @Test
    void emptyLogBodyIsAccepted() throws Exception {
        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(fixture.uri("/engine/v1/log"))
                .POST(HttpRequest.BodyPublishers.noBody()));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(fixture.service.logBytes()).isZero();
    }

    @Test
    void logSinkSeesBufferContentOnly(@TempDir Path other) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        try (ServiceFixture sized = new ServiceFixture(other, builder -> builder.logSink((ByteBuffer bytes) -> {
            sizes.add(bytes.remaining());
            bytes.position(bytes.limit());
        }))) {
            byte[] body = new byte[3 * 1024 * 1024];
            sized.send(HttpRequest.newBuilder(sized.uri("/engine/v1/log"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

            assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(body.length);
            assertThat(sizes).allMatch(size -> size <= 64 * 1024);
        }
    }
}
