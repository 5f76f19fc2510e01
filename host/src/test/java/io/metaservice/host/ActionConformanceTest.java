package io.metaservice.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.Slugid;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActionConformanceTest {

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
    void pollTimesOutWithNoneAndFreshId() throws Exception {
        Action first = fixture.poll();
        Action second = fixture.poll();

        assertThat(first.type()).isEqualTo(ActionType.NONE);
        assertThat(second.type()).isEqualTo(ActionType.NONE);
        assertThat(Slugid.isValid(first.id())).isTrue();
        assertThat(first.id()).isNotEqualTo(second.id());
    }

    @Test
    void pollBodyHasEveryField() throws Exception {
        HttpResponse<String> response = fixture.send("GET", "/engine/v1/poll");

        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.fieldNames()).toIterable().containsExactly("id", "type", "path", "command", "tty");
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                value -> assertThat(value).startsWith("application/json"));
    }

    @Test
    void getArtifactStoresBodyInTemporaryFile() throws Exception {
        Future<Artifact> artifact = fixture.host(() -> fixture.service.getArtifact("/data/report.txt"));

        Action action = fixture.pollForAction();
        HttpResponse<String> reply = fixture.reply(action.id(), HttpRequest.BodyPublishers.ofString("report body"));

        assertThat(action.type()).isEqualTo(ActionType.GET_ARTIFACT);
        assertThat(action.path()).isEqualTo("/data/report.txt");
        assertThat(Slugid.isValid(action.id())).isTrue();
        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(reply.body()).isEmpty();
        Artifact result = artifact.get(20, TimeUnit.SECONDS);
        assertThat(result.size()).isEqualTo(11);
        assertThat(Files.readString(result.path())).isEqualTo("report body");
        assertThat(result.path().getParent()).isEqualTo(temp);
        result.close();
        assertThat(result.path()).doesNotExist();
    }

    @Test
    void emptyArtifactBodyGivesEmptyFile() throws Exception {
        Future<Artifact> artifact = fixture.host(() -> fixture.service.getArtifact("empty"));

        Action action = fixture.pollForAction();
        fixture.reply(action.id(), HttpRequest.BodyPublishers.noBody());

        try (Artifact result = artifact.get(20, TimeUnit.SECONDS)) {
            assertThat(result.size()).isZero();
            assertThat(Files.size(result.path())).isZero();
        }
    }

    @Test
    void fileNotFoundHeaderGivesNotFound() throws Exception {
        Future<Artifact> artifact = fixture.host(() -> fixture.service.getArtifact("/missing"));

        Action action = fixture.pollForAction();
        HttpResponse<String> reply = fixture.reply(action.id(), HttpRequest.BodyPublishers.noBody(),
                "X-Taskcluster-Worker-Error", "file-not-found");

        assertThat(reply.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> artifact.get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("/missing");
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void listFolderReturnsFiles() throws Exception {
        Future<List<String>> listing = fixture.host(() -> fixture.service.listFolder("/home"));

        Action action = fixture.pollForAction();
        HttpResponse<String> reply = fixture.reply(action.id(),
                HttpRequest.BodyPublishers.ofString("{\"files\":[\"/home/a\",\"/home/b/c\"],\"notFound\":false}"),
                "Content-Type", "application/json");

        assertThat(action.type()).isEqualTo(ActionType.LIST_FOLDER);
        assertThat(action.path()).isEqualTo("/home");
        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(reply.body()).isEmpty();
        assertThat(listing.get(20, TimeUnit.SECONDS)).containsExactly("/home/a", "/home/b/c");
    }

    @Test
    void listFolderEmptyAndNullLists() throws Exception {
        Future<List<String>> empty = fixture.host(() -> fixture.service.listFolder("/e"));
        fixture.reply(fixture.pollForAction().id(),
                HttpRequest.BodyPublishers.ofString("{\"files\":[],\"notFound\":false}"),
                "Content-Type", "application/json");
        assertThat(empty.get(20, TimeUnit.SECONDS)).isEmpty();

        Future<List<String>> nullList = fixture.host(() -> fixture.service.listFolder("/n"));
        fixture.reply(fixture.pollForAction().id(),
                HttpRequest.BodyPublishers.ofString("{\"files\":null,\"notFound\":false}"),
                "Content-Type", "application/json");
        assertThat(nullList.get(20, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void listFolderNotFoundGivesNotFound() throws Exception {
        Future<List<String>> listing = fixture.host(() -> fixture.service.listFolder("/nope"));

        fixture.reply(fixture.pollForAction().id(),
                HttpRequest.BodyPublishers.ofString("{\"files\":null,\"notFound\":true}"),
                "Content-Type", "application/json");

        assertThatThrownBy(() -> listing.get(20, TimeUnit.SECONDS))
                .cause().isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void listFolderWrongContentTypeGets400AndRetries() throws Exception {
        Future<List<String>> listing = fixture.host(() -> fixture.service.listFolder("/x"));

        Action first = fixture.pollForAction();
        HttpResponse<String> rejected = fixture.reply(first.id(),
                HttpRequest.BodyPublishers.ofString("{\"files\":[],\"notFound\":false}"),
                "Content-Type", "application/json; charset=utf-8");
        Action second = fixture.pollForAction();
        fixture.reply(second.id(), HttpRequest.BodyPublishers.ofString("{\"files\":[\"/x/y\"],\"notFound\":false}"),
                "Content-Type", "application/json");

        assertThat(rejected.statusCode()).isEqualTo(400);
        JsonNode body = Json.MAPPER.readTree(rejected.body());
        assertThat(body.get("code").asText()).isEqualTo("InvalidPayload");
        assertThat(body.get("message").asText()).contains("application/json");
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(listing.get(20, TimeUnit.SECONDS)).containsExactly("/x/y");
    }

    @Test
    void listFolderMissingContentTypeGets400() throws Exception {
        fixture.host(() -> fixture.service.listFolder("/x"));

        HttpResponse<String> rejected = fixture.reply(fixture.pollForAction().id(),
                HttpRequest.BodyPublishers.ofString("{\"files\":[],\"notFound\":false}"));

        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(rejected.body()).get("code").asText()).isEqualTo("InvalidPayload");
    }

    @Test
    void listFolderInvalidJsonGets400() throws Exception {
        for (String payload : List.of("{not json", "", "[1,2]", "null", "{\"files\":\"x\"}")) {
            Future<List<String>> listing = fixture.host(() -> fixture.service.listFolder("/x"));

            HttpResponse<String> rejected = fixture.reply(fixture.pollForAction().id(),
                    HttpRequest.BodyPublishers.ofString(payload), "Content-Type", "application/json");

            assertThat(rejected.statusCode()).as(payload).isEqualTo(400);
            assertThat(Json.MAPPER.readTree(rejected.body()).get("code").asText()).isEqualTo("InvalidPayload");
            // Reply to the retry so that the operation ends before the next case.
            fixture.reply(fixture.pollForAction().id(), HttpRequest.BodyPublishers.ofString(
                    "{\"files\":[],\"notFound\":false}"), "Content-Type", "application/json");
            assertThat(listing.get(20, TimeUnit.SECONDS)).isEmpty();
        }
    }

    @Test
    void listFolderReadsOnlyFirstTenMebibytes() throws Exception {
        Future<List<String>> listing = fixture.host(() -> fixture.service.listFolder("/big"));
        StringBuilder json = new StringBuilder("{\"files\":[");
        String name = "\"/big/" + "f".repeat(90) + "\"";
        while (json.length() < 10 * 1024 * 1024 + 1000) {
            json.append(name).append(',');
        }
        json.append(name).append("],\"notFound\":false}");

        HttpResponse<String> rejected = fixture.reply(fixture.pollForAction().id(),
                HttpRequest.BodyPublishers.ofString(json.toString()), "Content-Type", "application/json");
        String fitting = "{\"files\":[" + (name + ",").repeat(100_000) + name + "],\"notFound\":false}";
        assertThat(fitting.length()).isLessThan(10 * 1024 * 1024);
        HttpResponse<String> accepted = fixture.reply(fixture.pollForAction().id(),
                HttpRequest.BodyPublishers.ofString(fitting), "Content-Type", "application/json");

        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(rejected.body()).get("message").asText()).contains("10485760");
        assertThat(accepted.statusCode()).isEqualTo(200);
        assertThat(listing.get(20, TimeUnit.SECONDS)).hasSize(100_001);
    }

    @Test
    void killProcessRepliesEmptyOk() throws Exception {
        Future<Object> kill = fixture.host(() -> {
            fixture.service.killProcess();
            return "done";
        });

        Action action = fixture.pollForAction();
        HttpResponse<String> reply = fixture.reply(action.id(), HttpRequest.BodyPublishers.noBody());

        assertThat(action.type()).isEqualTo(ActionType.KILL_PROCESS);
        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(kill.get(20, TimeUnit.SECONDS)).isEqualTo("done");
    }

    @Test
    void unknownActionIdGets400() throws Exception {
        for (String query : List.of("?id=" + Slugid.v4(), "?id=", "", "?id=%00%0a", "?other=1")) {
            HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(fixture.uri("/engine/v1/reply" + query))
                    .POST(HttpRequest.BodyPublishers.ofString("x")));

            assertThat(response.statusCode()).as(query).isEqualTo(400);
            JsonNode body = Json.MAPPER.readTree(response.body());
            assertThat(body.get("code").asText()).isEqualTo("UnknownActionId");
            assertThat(body.get("message").asText()).doesNotContain("\n");
            assertThat(response.headers().firstValue("Connection")).as(query).contains("close");
        }
    }

    @Test
    void reusedActionIdGets400() throws Exception {
        Future<Artifact> artifact = fixture.host(() -> fixture.service.getArtifact("/f"));
        Action action = fixture.pollForAction();
        fixture.reply(action.id(), HttpRequest.BodyPublishers.ofString("first"));

        HttpResponse<String> again = fixture.reply(action.id(), HttpRequest.BodyPublishers.ofString("second"));

        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(again.body()).get("code").asText()).isEqualTo("UnknownActionId");
        try (Artifact result = artifact.get(20, TimeUnit.SECONDS)) {
            assertThat(Files.readString(result.path())).isEqualTo("first");
        }
    }

    @Test
    void expiredActionIdGets400AndOperationRetries(@TempDir Path other) throws Exception {
        try (ServiceFixture quick = new ServiceFixture(other, builder -> builder
                .replyStartTimeout(java.time.Duration.ofSeconds(2)))) {
            Future<Artifact> artifact = quick.host(() -> quick.service.getArtifact("/slow"));
            Action expired = quick.pollForAction();

            // The reply-start deadline is 2 s here; the next poll brings the retry.
            Action retry = quick.pollForAction();
            HttpResponse<String> late = quick.reply(expired.id(), HttpRequest.BodyPublishers.ofString("late"));
            quick.reply(retry.id(), HttpRequest.BodyPublishers.ofString("on time"));

            assertThat(retry.id()).isNotEqualTo(expired.id());
            assertThat(late.statusCode()).isEqualTo(400);
            assertThat(Json.MAPPER.readTree(late.body()).get("code").asText()).isEqualTo("UnknownActionId");
            try (Artifact result = artifact.get(20, TimeUnit.SECONDS)) {
                assertThat(Files.readString(result.path())).isEqualTo("on time");
            }
        }
    }

    @Test
    void replyWithWrongMethodGets405AndRetries() throws Exception {
        Future<Artifact> artifact = fixture.host(() -> fixture.service.getArtifact("/m"));
        Action first = fixture.pollForAction();

        HttpResponse<String> wrong = fixture.send("PUT", "/engine/v1/reply?id=" + first.id());
        HttpResponse<String> used = fixture.reply(first.id(), HttpRequest.BodyPublishers.ofString("x"));
        Action second = fixture.pollForAction();
        fixture.reply(second.id(), HttpRequest.BodyPublishers.ofString("ok"));

        assertThat(wrong.statusCode()).isEqualTo(405);
        JsonNode body = Json.MAPPER.readTree(wrong.body());
        assertThat(body.get("code").asText()).isEqualTo("MethodNotAllowed");
        assertThat(body.get("message").asText()).contains("'POST'");
        assertThat(used.statusCode()).isEqualTo(400);
        try (Artifact result = artifact.get(20, TimeUnit.SECONDS)) {
            assertThat(Files.readString(result.path())).isEqualTo("ok");
        }
    }

    @Test
    void unansweredActionFailsAfterThreeAttempts(@TempDir Path other) throws Exception {
        try (ServiceFixture quick = new ServiceFixture(other, builder -> builder
                .deliveryTimeout(java.time.Duration.ofSeconds(2)))) {
            long start = System.nanoTime();
            Future<Artifact> artifact = quick.host(() -> quick.service.getArtifact("/never"));

            assertThatThrownBy(() -> artifact.get(30, TimeUnit.SECONDS))
                    .cause().isInstanceOf(HostOperationException.class)
                    .hasMessageContaining("after 3 attempts")
                    .satisfies(e -> assertThat(((HostOperationException) e).isRetryable()).isTrue());
            // Three delivery time-outs of 2 s each.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(5_900);
        }
    }

    @Test
    void eachActionGoesToExactlyOnePoll(@TempDir Path other) throws Exception {
        try (ServiceFixture slow = new ServiceFixture(other, builder -> builder
                .pollTimeout(java.time.Duration.ofSeconds(3)))) {
            CompletableFuture<HttpResponse<String>> pollA = slow.http.sendAsync(
                    HttpRequest.newBuilder(slow.uri("/engine/v1/poll")).build(), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> pollB = slow.http.sendAsync(
                    HttpRequest.newBuilder(slow.uri("/engine/v1/poll")).build(), HttpResponse.BodyHandlers.ofString());
            awaitParkedPolls(slow, 2);

            Future<Object> kill = slow.host(() -> {
                slow.service.killProcess();
                return "done";
            });
            Action a = Json.MAPPER.readValue(pollA.get(20, TimeUnit.SECONDS).body(), Action.class);
            Action b = Json.MAPPER.readValue(pollB.get(20, TimeUnit.SECONDS).body(), Action.class);

            // The other poll ends with none when its 3 s poll time-out passes.
            assertThat(Stream.of(a, b).filter(action -> action.type() == ActionType.KILL_PROCESS)).hasSize(1);
            assertThat(Stream.of(a, b).filter(action -> action.type() == ActionType.NONE)).hasSize(1);
            Action killAction = a.type() == ActionType.KILL_PROCESS ? a : b;
            slow.reply(killAction.id(), HttpRequest.BodyPublishers.noBody());
            assertThat(kill.get(20, TimeUnit.SECONDS)).isEqualTo("done");
        }
    }

    @Test
    void abandonedPollDoesNotTakeAction(@TempDir Path other) throws Exception {
        try (ServiceFixture slow = new ServiceFixture(other, builder -> builder
                .pollTimeout(java.time.Duration.ofSeconds(30))
                .deliveryTimeout(java.time.Duration.ofSeconds(30)))) {
            for (boolean reset : new boolean[] {false, true}) {
                RawHttp dead = new RawHttp(slow.server.baseUri());
                dead.write("GET /engine/v1/poll HTTP/1.1\r\nHost: x\r\n\r\n");
                awaitParkedPolls(slow, 1);
                if (reset) {
                    dead.reset();
                } else {
                    dead.close();
                }

                long start = System.nanoTime();
                Future<Artifact> artifact = slow.host(() -> slow.service.getArtifact("/a"));
                Action action = slow.pollForAction();
                slow.reply(action.id(), HttpRequest.BodyPublishers.ofString("alive"));
                try (Artifact result = artifact.get(20, TimeUnit.SECONDS)) {
                    assertThat(Files.readString(result.path())).isEqualTo("alive");
                }

                // Well under the 30 s time-out that a lost action would cost.
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).as("reset=%s", reset)
                        .isLessThan(25);
            }
        }
    }

    @Test
    void pollParkedBeforeActionGetsItAtOnce(@TempDir Path other) throws Exception {
        try (ServiceFixture slow = new ServiceFixture(other, builder -> builder
                .pollTimeout(java.time.Duration.ofSeconds(30)))) {
            CompletableFuture<HttpResponse<String>> poll = slow.http.sendAsync(
                    HttpRequest.newBuilder(slow.uri("/engine/v1/poll")).build(), HttpResponse.BodyHandlers.ofString());
            awaitParkedPolls(slow, 1);

            slow.host(() -> slow.service.getArtifact("/p"));
            Action action = Json.MAPPER.readValue(poll.get(10, TimeUnit.SECONDS).body(), Action.class);

            assertThat(action.type()).isEqualTo(ActionType.GET_ARTIFACT);
        }
    }

    @Test
    void truncatedArtifactRetriesAndLeavesNoFile() throws Exception {
        Future<Artifact> artifact = fixture.host(() -> fixture.service.getArtifact("/cut"));
        Action first = fixture.pollForAction();

        try (RawHttp guest = new RawHttp(fixture.server.baseUri())) {
            guest.write("POST /engine/v1/reply?id=" + first.id() + " HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 100000\r\n\r\n");
            guest.write(new byte[5000]);
        }
        Action second = fixture.pollForAction();
        fixture.reply(second.id(), HttpRequest.BodyPublishers.ofString("whole"));

        try (Artifact result = artifact.get(20, TimeUnit.SECONDS)) {
            assertThat(Files.readString(result.path())).isEqualTo("whole");
            assertThat(temporaryFiles()).containsExactly(result.path());
        }
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void truncatedChunkedArtifactLeavesNoFile() throws Exception {
        Future<Artifact> artifact = fixture.host(() -> fixture.service.getArtifact("/cut"));
        Action first = fixture.pollForAction();

        try (RawHttp guest = new RawHttp(fixture.server.baseUri())) {
            guest.write("POST /engine/v1/reply?id=" + first.id() + " HTTP/1.1\r\nHost: x\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n1000\r\n" + "x".repeat(4096) + "\r\n");
            guest.reset();
        }
        fixture.reply(fixture.pollForAction().id(), HttpRequest.BodyPublishers.ofString("ok"));

        artifact.get(20, TimeUnit.SECONDS).close();
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void artifactOverLimitIsStoppedAndRemoved(@TempDir Path other) throws Exception {
        try (ServiceFixture limited = new ServiceFixture(other, builder -> builder.maxArtifactBytes(1000))) {
            Future<Artifact> artifact = limited.host(() -> limited.service.getArtifact("/huge"));

            HttpResponse<String> reply = limited.reply(limited.pollForAction().id(),
                    HttpRequest.BodyPublishers.ofByteArray(new byte[1_000_000]));

            assertThat(reply.statusCode()).isEqualTo(413);
            assertThat(Json.MAPPER.readTree(reply.body()).get("message").asText()).contains("1000 bytes");
            assertThatThrownBy(() -> artifact.get(20, TimeUnit.SECONDS))
                    .cause().isInstanceOf(HostOperationException.class)
                    .hasMessageContaining("limit of 1000 bytes");
            try (Stream<Path> files = Files.list(other)) {
                assertThat(files).isEmpty();
            }
        }
    }

    @Test
    void stopPollersAnswersWaitingAndLaterPolls(@TempDir Path other) throws Exception {
        try (ServiceFixture slow = new ServiceFixture(other, builder -> builder
                .pollTimeout(java.time.Duration.ofSeconds(30)))) {
            CompletableFuture<HttpResponse<String>> waiting = slow.http.sendAsync(
                    HttpRequest.newBuilder(slow.uri("/engine/v1/poll")).build(), HttpResponse.BodyHandlers.ofString());
            awaitParkedPolls(slow, 1);

            slow.service.stopPollers();

            Action answered = Json.MAPPER.readValue(waiting.get(5, TimeUnit.SECONDS).body(), Action.class);
            assertThat(answered.type()).isEqualTo(ActionType.NONE);
            long start = System.nanoTime();
            assertThat(slow.poll().type()).isEqualTo(ActionType.NONE);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
            assertThatThrownBy(() -> slow.service.getArtifact("/late"))
                    .isInstanceOf(HostOperationException.class)
                    .hasMessageContaining("stopped");
        }
    }

    @Test
    void twoHundredPollersUseBoundedThreads(@TempDir Path other) throws Exception {
        try (ServiceFixture slow = new ServiceFixture(other, builder -> builder
                .pollTimeout(java.time.Duration.ofSeconds(30)))) {
            List<RawHttp> pollers = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    RawHttp poller = new RawHttp(slow.server.baseUri());
                    poller.write("GET /engine/v1/poll HTTP/1.1\r\nHost: x\r\n\r\n");
                    pollers.add(poller);
                }
                awaitParkedPolls(slow, 200);

                assertThat(slow.server.poolThreads()).isLessThanOrEqualTo(GuestServer.MAX_THREADS);
                System.err.printf("200 parked polls: %d pool threads, %d JVM threads%n",
                        slow.server.poolThreads(), Thread.activeCount());
                slow.service.stopPollers();
                for (RawHttp poller : pollers) {
                    assertThat(poller.readResponse()).startsWith("HTTP/1.1 200").contains("\"none\"");
                }
            } finally {
                for (RawHttp poller : pollers) {
                    poller.close();
                }
            }
        }
    }

    private void awaitParkedPolls(int count) throws InterruptedException {
        awaitParkedPolls(fixture, count);
    }

    private static void awaitParkedPolls(ServiceFixture target, int count) throws InterruptedException {
        long deadline = System.nanoTime() + ServiceFixture.WAIT.toNanos();
        while (target.service.parkedPolls() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + target.service.parkedPolls() + " of " + count + " polls parked");
            }
            Thread.onSpinWait();
            Thread.sleep(5);
        }
    }

    private List<Path> temporaryFiles() throws java.io.IOException {
        try (Stream<Path> files = Files.list(temp)) {
            return files.toList();
        }
    }
}
