package io.metaservice.host;

import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A MetaService on a loopback port with short time-outs, plus a plain HTTP client that plays
 * the guest. Each test creates one and closes it.
 */
final class ServiceFixture implements AutoCloseable {

    /** Upper bound for any wait in a test. */
    static final Duration WAIT = Duration.ofSeconds(20);

    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final AtomicInteger resultCalls = new AtomicInteger();
    final CompletableFuture<Boolean> listenerResult = new CompletableFuture<>();
    final MetaService service;
    final GuestServer server;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final Path temporaryDirectory;
    private final ExecutorService hostCalls = Executors.newCachedThreadPool();

    ServiceFixture(Path temporaryDirectory) throws Exception {
        this(temporaryDirectory, builder -> { });
    }

    ServiceFixture(Path temporaryDirectory, java.util.function.Consumer<MetaServiceConfig.Builder> tweak)
            throws Exception {
        this.temporaryDirectory = temporaryDirectory;
        MetaServiceConfig.Builder builder = MetaServiceConfig.builder()
                .command(List.of("sh", "-c", "echo hi"))
                .env(Map.of("GREETING", "hello"))
                .logSink(bytes -> {
                    synchronized (log) {
                        byte[] copy = new byte[bytes.remaining()];
                        bytes.get(copy);
                        log.write(copy, 0, copy.length);
                    }
                })
                .resultListener(success -> {
                    resultCalls.incrementAndGet();
                    listenerResult.complete(success);
                })
                .temporaryDirectory(temporaryDirectory)
                .pollTimeout(Duration.ofMillis(500))
                .deliveryTimeout(Duration.ofSeconds(10))
                .replyStartTimeout(Duration.ofSeconds(10));
        tweak.accept(builder);
        service = new MetaService(builder.build());
        server = GuestServer.start(service, "127.0.0.1", 0);
    }

    URI uri(String pathAndQuery) {
        return server.baseUri().resolve(pathAndQuery);
    }

    HttpResponse<String> send(String method, String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(uri(pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.noBody()));
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls once and returns the action. */
    Action poll() throws Exception {
        HttpResponse<String> response = send("GET", "/engine/v1/poll");
        if (response.statusCode() != 200) {
            throw new AssertionError("poll returned " + response.statusCode() + ": " + response.body());
        }
        return Json.MAPPER.readValue(response.body(), Action.class);
    }

    /** Polls until an action other than {@code none} arrives. */
    Action pollForAction() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Action action = poll();
            if (action.type() != ActionType.NONE) {
                return action;
            }
        }
        throw new AssertionError("no action arrived within " + WAIT);
    }

    HttpResponse<String> reply(String id, HttpRequest.BodyPublisher body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/engine/v1/reply?id=" + id))
                .POST(body);
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request);
    }

    /** Runs a blocking host operation on another thread. */
    <T> Future<T> host(java.util.concurrent.Callable<T> operation) {
        return hostCalls.submit(operation);
    }

    String logText() {
        synchronized (log) {
            return log.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws Exception {
        service.close();
        server.close();
        hostCalls.shutdownNow();
        hostCalls.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
}
