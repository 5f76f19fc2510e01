package io.metaservice.host.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.host.daemon.control.ControlBodies;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A daemon for one test: control API on a free loopback port, shared guest listener on
 * another, short time-outs, state in a temporary folder, and a plain JDK HTTP client for the
 * control API.
 */
final class DaemonFixture implements AutoCloseable {

    /** Upper bound for any wait in a daemon test. */
    static final Duration WAIT = Duration.ofSeconds(20);

    final Daemon daemon;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final URI control;

    DaemonFixture(Path temp) throws Exception {
        this(temp, builder -> { });
    }

    DaemonFixture(Path temp, Consumer<DaemonConfig.Builder> tweak) throws Exception {
        DaemonConfig.Builder builder = DaemonConfig.builder()
                .stateDirectory(temp.resolve("state"))
                .control("127.0.0.1:0")
                .guestListener(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))
                .releasedRetention(Duration.ofSeconds(30))
                .limits(shortLimits().build());
        tweak.accept(builder);
        daemon = Daemon.start(builder.build());
        control = daemon.controlEndpoint() instanceof ControlEndpoint.LoopbackPort port
                ? URI.create("http://" + Addresses.format(port.address())) : null;
    }

    /** Limits with time-outs short enough for tests. */
    static GuestLimits.Builder shortLimits() {
        return GuestLimits.builder()
                .pollTimeout(Duration.ofMillis(500))
                .deliveryTimeout(Duration.ofSeconds(2))
                .replyStartTimeout(Duration.ofSeconds(2));
    }

    HttpResponse<String> send(String method, String pathAndQuery, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        HttpRequest request = HttpRequest.newBuilder(control.resolve(pathAndQuery))
                .method(method, publisher)
                .header("Content-Type", "application/json")
                .timeout(WAIT)
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Sends a control request without waiting, for operations that the test guest completes. */
    CompletableFuture<HttpResponse<String>> sendAsync(String method, String pathAndQuery) {
        return http.sendAsync(HttpRequest.newBuilder(control.resolve(pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String pathAndQuery) throws Exception {
        return send("GET", pathAndQuery, null);
    }

    HttpResponse<String> post(String pathAndQuery) throws Exception {
        return send("POST", pathAndQuery, null);
    }

    /** Creates a guest through the control API; fails the test unless it returns 201. */
    ControlBodies.GuestInfo create(String routeJson, List<String> command, Map<String, String> env)
            throws Exception {
        String body = "{\"command\":" + Json.MAPPER.writeValueAsString(command)
                + ",\"env\":" + Json.MAPPER.writeValueAsString(env) + ",\"route\":" + routeJson + "}";
        HttpResponse<String> response = send("POST", "/v1/guests", body);
        if (response.statusCode() != 201) {
            throw new AssertionError("create returned " + response.statusCode() + ": " + response.body());
        }
        return Json.MAPPER.readValue(response.body(), ControlBodies.GuestInfo.class);
    }

    /** Creates a guest that runs {@code echo NAME} with {@code NAME=name} in its environment. */
    TestGuest guest(String name, String routeJson) throws Exception {
        ControlBodies.GuestInfo info = create(routeJson, List.of("echo", name), Map.of("NAME", name));
        return new TestGuest(this, info, null);
    }

    /** Creates a guest on a subnet route whose requests come from {@code source}. */
    TestGuest subnetGuest(String name, String source) throws Exception {
        ControlBodies.GuestInfo info = create(subnetRoute(source + "/32"), List.of("echo", name),
                Map.of("NAME", name));
        return new TestGuest(this, info, InetAddress.getByName(source));
    }

    static String subnetRoute(String cidr) {
        return "{\"type\":\"subnet\",\"subnet\":\"" + cidr + "\"}";
    }

    static String unixRoute() {
        return "{\"type\":\"unix-socket\"}";
    }

    static String portRoute() {
        return "{\"type\":\"loopback-port\",\"port\":0}";
    }

    /** Connects to the shared guest listener from {@code source}. */
    GuestConnection connectShared(String source) throws IOException {
        return GuestConnection.tcp(daemon.guestListenerAddress(), InetAddress.getByName(source));
    }

    /**
     * Waits up to {@link #WAIT} for {@code condition}, checking it every 10 ms on a timer, for
     * state that the daemon changes without a future to wait on.
     */
    static void await(String description, BooleanSupplier condition) throws Exception {
        CompletableFuture<Void> met = new CompletableFuture<>();
        ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor();
        checker.scheduleAtFixedRate(() -> {
            if (condition.getAsBoolean()) {
                met.complete(null);
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
        try {
            met.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("not met within " + WAIT + ": " + description);
        } finally {
            checker.shutdownNow();
        }
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body());
    }

    @Override
    public void close() {
        daemon.close();
    }
}
