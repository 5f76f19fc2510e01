package io.metaservice.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.host.GuestServer;
import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Files;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The collector against a real service on a loopback port, with the test as the guest. */
@Timeout(120)
class ArtifactCollectorTest {

    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(200);
    private static final long WAIT_SECONDS = 60;

    @TempDir
    Path temp;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private final CompletableFuture<String> guestGone = new CompletableFuture<>();
    private final ExecutorService collectorThread = Executors.newSingleThreadExecutor();
    private MetaService service;
    private GuestServer server;

    @AfterEach
    void stop() throws Exception {
        collectorThread.shutdownNow();
        if (service != null) {
            service.stopPollers();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void consecutiveTimeoutsStopCollection() throws Exception {
        service = new MetaService(MetaServiceConfig.builder()
                .command(List.of("true"))
                .temporaryDirectory(temp.resolve("incoming"))
                .deliveryTimeout(SHORT_TIMEOUT)
                .replyStartTimeout(SHORT_TIMEOUT)
                .build());

        ArtifactCollector.Outcome outcome = collector().collect(requests("a", "b", "c", "d"));

        assertThat(outcome.failed()).containsExactly("a", "b", "c", "d");
        assertThat(outcome.files()).isZero();
        String text = errText();
        assertThat(text.lines().filter(line -> line.contains(" failed: ")))
                .as("one line per failed operation before the stop")
                .hasSize(ArtifactCollector.MAX_CONSECUTIVE_TIMEOUTS);
        assertThat(text).contains("metaservice: stopped collecting artifacts: the guest did not answer "
                + ArtifactCollector.MAX_CONSECUTIVE_TIMEOUTS + " host operations in a row");
        assertThat(text).contains("; not collected: c, d");
    }

    @Test
    void goneGuestStopsListedFiles() throws Exception {
        service = new MetaService(MetaServiceConfig.builder()
                .command(List.of("true"))
                .temporaryDirectory(temp.resolve("incoming"))
                .build());
        server = GuestServer.start(service, "127.0.0.1", 0);
        URI base = server.baseUri();
        HttpClient http = HttpClient.newHttpClient();
        List<String> listing = List.of("/w/out/1", "/w/out/2", "/w/out/3", "/w/out/4", "/w/out/5");

        CompletableFuture<ArtifactCollector.Outcome> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                return collector().collect(requests("out", "other"));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, collectorThread);
        Action fileAction = poll(http, base);
        assertThat(fileAction.type()).isEqualTo(ActionType.GET_ARTIFACT);
        reply(http, base, fileAction, HttpRequest.newBuilder()
                .header(Protocol.WORKER_ERROR_HEADER, Protocol.FILE_NOT_FOUND), new byte[0]);
        Action folderAction = poll(http, base);
        assertThat(folderAction.type()).isEqualTo(ActionType.LIST_FOLDER);
        reply(http, base, folderAction, HttpRequest.newBuilder()
                .header("Content-Type", Protocol.JSON_CONTENT_TYPE),
                Json.MAPPER.writeValueAsBytes(new Files(listing, false)));
        // What the run command does when the agent process exits.
        guestGone.complete("the guest agent exited with status 137");
        service.stopPollers();

        assertThat(outcome).succeedsWithin(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(outcome.get().failed()).containsExactly("out", "other");
        String text = errText();
        assertThat(text.lines()).as("standard error lines").containsExactly(
                "metaservice: stopped collecting artifacts: the guest agent exited with status 137;"
                        + " 4 listed files not fetched; not collected: other");
    }

    private ArtifactCollector collector() {
        return new ArtifactCollector(service, new ArtifactStore(temp.resolve("artifacts")),
                Optional.of(List.of("w")), guestGone, err);
    }

    private static List<ArtifactRequest> requests(String... paths) {
        return java.util.Arrays.stream(paths).map(ArtifactRequest::parse).toList();
    }

    private String errText() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    /** Polls until the service hands out an action other than {@code none}. */
    private static Action poll(HttpClient http, URI base) throws Exception {
        while (true) {
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(base.resolve(Protocol.POLL_PATH))
                    .timeout(Duration.ofSeconds(WAIT_SECONDS)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).isEqualTo(200);
            Action action = Json.MAPPER.readValue(response.body(), Action.class);
            if (action.type() != ActionType.NONE) {
                return action;
            }
        }
    }

    private static void reply(HttpClient http, URI base, Action action, HttpRequest.Builder request,
            byte[] body) throws Exception {
        HttpResponse<String> response = http.send(request
                .uri(base.resolve(Protocol.REPLY_PATH + "?" + Protocol.REPLY_ID_PARAMETER + "=" + action.id()))
                .timeout(Duration.ofSeconds(WAIT_SECONDS))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("reply status; body %s", response.body()).isEqualTo(200);
    }
}
