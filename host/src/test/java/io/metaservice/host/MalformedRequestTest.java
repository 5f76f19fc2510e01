package io.metaservice.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests that Jetty rejects before any handler runs still get the protocol's JSON error body. */
class MalformedRequestTest {

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
    void malformedRequestsGetJsonErrors() throws Exception {
        Map<String, String> requests = Map.of(
                "bad chunk", "POST /engine/v1/log HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "huge header", "GET /engine/v1/ping HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(100_000) + "\r\n\r\n",
                "unknown version", "GET /engine/v1/ping HTTP/9.9\r\nHost: x\r\n\r\n",
                "bad escape in path", "GET /engine/v1/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                "two lengths", "POST /engine/v1/log HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
        for (Map.Entry<String, String> entry : requests.entrySet()) {
            String response;
            try (RawHttp raw = new RawHttp(fixture.server.baseUri())) {
                raw.write(entry.getValue());
                response = raw.readResponse();
            }

            assertThat(response).as(entry.getKey()).matches("(?s)HTTP/1\\.1 (4|5)\\d\\d .*");
            assertThat(response.toLowerCase(java.util.Locale.ROOT)).as(entry.getKey())
                    .contains("content-type: application/json");
            JsonNode body = Json.MAPPER.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertThat(body.get("code").asText()).as(entry.getKey()).isNotBlank();
            assertThat(body.get("message").asText()).as(entry.getKey()).isNotBlank();
        }
    }

    @Test
    void malformedReplyQueryIsUnknownActionId() throws Exception {
        String response;
        try (RawHttp raw = new RawHttp(fixture.server.baseUri())) {
            raw.write("POST /engine/v1/reply?id=%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            response = raw.readResponse();
        }

        assertThat(response).startsWith("HTTP/1.1 400");
        JsonNode body = Json.MAPPER.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
        assertThat(body.get("code").asText()).isEqualTo("UnknownActionId");
    }

    @Test
    void encodedPathMatchesEndPoint() throws Exception {
        HttpResponse<String> response = fixture.send("GET", "/engine/v1/%70ing");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void releasedServiceAnswers404() throws Exception {
        fixture.service.close();

        for (String path : new String[] {"/engine/v1/execute", "/engine/v1/ping", "/engine/v1/poll"}) {
            HttpResponse<String> response = fixture.send("GET", path);

            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(Json.MAPPER.readTree(response.body()).get("code").asText()).isEqualTo("NoSuchEndPoint");
        }
        HttpResponse<String> success = fixture.send("PUT", "/engine/v1/success");
        assertThat(success.statusCode()).isEqualTo(404);
        assertThat(fixture.resultCalls.get()).isZero();
    }

    @Test
    void failedLogSinkIsReportedAndRefusesMore(@TempDir Path other) throws Exception {
        try (ServiceFixture broken = new ServiceFixture(other, builder -> builder.logSink(bytes -> {
            throw new IOException("stdout closed");
        }))) {
            assertThat(broken.service.logWriteFailed()).isFalse();

            HttpResponse<String> first = broken.send(HttpRequest.newBuilder(broken.uri("/engine/v1/log"))
                    .POST(HttpRequest.BodyPublishers.ofString("a")));
            HttpResponse<String> second = broken.send(HttpRequest.newBuilder(broken.uri("/engine/v1/log"))
                    .POST(HttpRequest.BodyPublishers.ofString("b")));

            assertThat(first.statusCode()).isEqualTo(500);
            assertThat(second.statusCode()).isEqualTo(500);
            assertThat(Json.MAPPER.readTree(second.body()).get("code").asText()).isEqualTo("InternalError");
            assertThat(broken.service.logWriteFailed()).isTrue();
        }
    }

    @Test
    void truncatedListingFailsWithoutRetry() throws Exception {
        Future<java.util.List<String>> listing = fixture.host(() -> fixture.service.listFolder("/big"));

        HttpResponse<String> reply = fixture.reply(fixture.pollForAction().id(),
                HttpRequest.BodyPublishers.ofString("{\"files\":[\"/big/a\"],\"notFound\":false,\"truncated\":true}"),
                "Content-Type", "application/json");

        assertThat(reply.statusCode()).isEqualTo(200);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> listing.get(20, TimeUnit.SECONDS))
                .cause().isInstanceOf(HostOperationException.class)
                .hasMessageContaining("incomplete")
                .satisfies(e -> assertThat(((HostOperationException) e).isRetryable()).isFalse());
    }

    @Test
    void listFolderTypesAreChecked() throws Exception {
        Map<String, Integer> payloads = new java.util.LinkedHashMap<>();
        payloads.put("{\"files\":[1,true],\"notFound\":false}", 400);
        payloads.put("{\"files\":[\"/a\"],\"notFound\":\"true\"}", 400);
        payloads.put("{\"files\":[\"/a\"],\"notFound\":0}", 400);
        payloads.put("{\"files\":\"/a\",\"notFound\":false}", 400);
        payloads.put("{\"files\":[null],\"notFound\":false}", 400);
        payloads.put("{\"files\":[\"/a\"],\"notFound\":false} trailing", 400);
        payloads.put("{\"files\":[\"/a\"],\"notFound\":true,\"notFound\":false}", 200);
        payloads.put("{\"files\":[\"/a\"],\"notFound\":null,\"x\":" + "9".repeat(5000) + "}", 200);
        payloads.put("{\"notFound\":false}", 200);
        payloads.put("{\"files\":[],\"notFound\":false,\"truncated\":\"yes\"}", 400);
        for (Map.Entry<String, Integer> entry : payloads.entrySet()) {
            Future<java.util.List<String>> listing = fixture.host(() -> fixture.service.listFolder("/"));

            HttpResponse<String> reply = fixture.reply(fixture.pollForAction().id(),
                    HttpRequest.BodyPublishers.ofString(entry.getKey()), "Content-Type", "application/json");

            assertThat(reply.statusCode()).as(entry.getKey()).isEqualTo(entry.getValue());
            if (entry.getValue() == 400) {
                fixture.reply(fixture.pollForAction().id(), HttpRequest.BodyPublishers.ofString(
                        "{\"files\":[],\"notFound\":false}"), "Content-Type", "application/json");
            }
            listing.get(20, TimeUnit.SECONDS);
        }
    }
}
