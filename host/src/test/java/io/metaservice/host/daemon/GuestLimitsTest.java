package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.host.Artifact;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each per-guest limit with a small value, hit by a guest, while another guest keeps working. */
class GuestLimitsTest {

    @TempDir
    Path temp;
    DaemonFixture fixture;
    private final ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() throws Exception {
        pacer.shutdownNow();
        if (fixture != null) {
            fixture.close();
        }
    }

    private void start(Consumer<GuestLimits.Builder> tweak) throws Exception {
        GuestLimits.Builder limits = DaemonFixture.shortLimits();
        tweak.accept(limits);
        fixture = new DaemonFixture(temp, builder -> builder.limits(limits.build()));
    }

    @Test
    void connectionCapClosesExtraConnections() throws Exception {
        start(limits -> limits.maxConnections(4));
        TestGuest greedy = fixture.guest("greedy", DaemonFixture.unixRoute());
        TestGuest other = fixture.subnetGuest("other", "127.0.0.3");
        List<GuestConnection> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            GuestConnection connection = greedy.connect();
            assertThat(connection.request("GET", "/engine/v1/ping").status()).isEqualTo(200);
            held.add(connection);
        }

        int closedAtOnce = 0;
        for (int i = 0; i < 20; i++) {
            try (GuestConnection extra = greedy.connect()) {
                if (extra.awaitClose(Duration.ofSeconds(5))) {
                    closedAtOnce++;
                }
            }
        }
        Guest guest = fixture.daemon.guest(greedy.id());
        long rejected = guest.rejectedConnections();
        int open = guest.connections();

        assertThat(closedAtOnce).isEqualTo(20);
        assertThat(rejected).isEqualTo(20);
        assertThat(open).isEqualTo(4);
        assertThat(other.execute().command()).containsExactly("echo", "other");
        for (GuestConnection connection : held) {
            assertThat(connection.request("GET", "/engine/v1/ping").status()).isEqualTo(200);
            connection.close();
        }
        try (GuestConnection again = awaitFreeConnection(greedy)) {
            assertThat(again.request("GET", "/engine/v1/ping").status()).isEqualTo(200);
        }
        System.err.printf("connection cap 4: 20 of 20 extra connections closed at once, %d rejected,"
                + " %d open; the other guest unaffected%n", rejected, open);
    }

    @Test
    void parkedPollCapGets429() throws Exception {
        start(limits -> limits.maxParkedPolls(2).pollTimeout(Duration.ofSeconds(30)));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        GuestConnection first = guest.connect();
        GuestConnection second = guest.connect();
        first.send("GET", "/engine/v1/poll", new byte[0]);
        second.send("GET", "/engine/v1/poll", new byte[0]);
        awaitParkedPolls(guest, 2);

        GuestConnection.Reply third = guest.request("GET", "/engine/v1/poll");
        JsonNode body = Json.MAPPER.readTree(third.body());
        first.close();
        second.close();
        CompletableFuture<HttpResponse<String>> kill = fixture.sendAsync("POST", "/v1/guests/" + guest.id() + "/kill");
        Action action = guest.poll();

        assertThat(third.status()).isEqualTo(429);
        assertThat(third.headers().get("retry-after")).isEqualTo("1");
        assertThat(body.get("code").asText()).isEqualTo("TooManyRequests");
        assertThat(body.get("message").asText()).contains("2 polls waiting");
        assertThat(action.type()).isEqualTo(ActionType.KILL_PROCESS);
        guest.reply(action.id(), new byte[0]);
        assertThat(kill.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void pendingActionCapFailsFurtherOperations() throws Exception {
        start(limits -> limits.maxPendingActions(1).deliveryTimeout(Duration.ofSeconds(10)));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> first = fixture.sendAsync("GET", "/v1/guests/" + guest.id() + "/files?path=/a");
        Action queued = guest.pollForAction();

        HttpResponse<String> second = fixture.get("/v1/guests/" + guest.id() + "/files?path=/b");
        guest.replyListing(queued.id(), "{\"files\":[],\"notFound\":false}");

        assertThat(second.statusCode()).isEqualTo(502);
        assertThat(DaemonFixture.json(second).get("code").asText()).isEqualTo("GuestOperationFailed");
        assertThat(DaemonFixture.json(second).get("message").asText())
                .contains("1 host operations in progress, the maximum");
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void logRequestCapGets429() throws Exception {
        start(limits -> limits.maxLogRequests(2));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        List<GuestConnection> streams = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            GuestConnection stream = guest.connect();
            stream.write("POST /engine/v1/log HTTP/1.1\r\nHost: guest\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "6\r\nline " + i + "\r\n");
            streams.add(stream);
        }
        Guest daemonGuest = fixture.daemon.guest(guest.id());
        DaemonFixture.await("both log streams started", () -> daemonGuest.log().size() == 12);

        GuestConnection.Reply third = guest.log("third\n");
        for (GuestConnection stream : streams) {
            stream.write("0\r\n\r\n");
            assertThat(stream.readReply(DaemonFixture.WAIT).status()).isEqualTo(200);
            stream.close();
        }
        GuestConnection.Reply fourth = guest.log("fourth\n");

        assertThat(third.status()).isEqualTo(429);
        assertThat(Json.MAPPER.readTree(third.body()).get("code").asText()).isEqualTo("TooManyRequests");
        assertThat(fourth.status()).isEqualTo(200);
    }

    @Test
    void oversizedHeadersGet431() throws Exception {
        start(limits -> limits.maxRequestHeaderBytes(1024));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());

        GuestConnection.Reply small = guest.request("GET", "/engine/v1/ping", new byte[0], "X-Pad: " + "p".repeat(500));
        GuestConnection.Reply large = guest.request("GET", "/engine/v1/ping", new byte[0], "X-Pad: " + "p".repeat(2000));

        assertThat(small.status()).isEqualTo(200);
        assertThat(large.status()).isEqualTo(431);
    }

    @Test
    void trickledHeadersAreCutOff() throws Exception {
        start(limits -> limits.headerReadTimeout(Duration.ofSeconds(1)));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        TestGuest other = fixture.guest("b", DaemonFixture.unixRoute());
        GuestConnection trickle = guest.connect();
        byte[] request = "GET /engine/v1/ping HTTP/1.1\r\nHost: guest\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        AtomicInteger sent = new AtomicInteger();
        long start = System.nanoTime();
        pacer.scheduleAtFixedRate(() -> {
            try {
                trickle.write(new byte[] {request[sent.getAndIncrement() % request.length]});
            } catch (Exception e) {
                throw new IllegalStateException("the connection was closed", e);
            }
        }, 0, 200, TimeUnit.MILLISECONDS);

        boolean closed = trickle.awaitClose(Duration.ofSeconds(10));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(closed).isTrue();
        assertThat(millis).isBetween(900L, 4_000L);
        assertThat(fixture.daemon.slowHeaderClosures()).isEqualTo(1);
        assertThat(other.execute().command()).containsExactly("echo", "b");
        System.err.printf("header trickle of 5 bytes/s cut off after %d ms (time-out 1000 ms), %d bytes sent%n",
                millis, sent.get());
    }

    @Test
    void idleConnectionIsClosed() throws Exception {
        start(limits -> limits.idleTimeout(Duration.ofSeconds(1)));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        long start = System.nanoTime();

        try (GuestConnection idle = guest.connect()) {
            boolean closed = idle.awaitClose(Duration.ofSeconds(10));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(closed).isTrue();
            assertThat(millis).isBetween(900L, 5_000L);
        }
    }

    @Test
    void trickledReplyBodyIsCutOffAndRemoved() throws Exception {
        start(limits -> limits.minReplyBytesPerSecond(1000).replyRateGracePeriod(Duration.ofSeconds(1)));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> download =
                fixture.sendAsync("GET", "/v1/guests/" + guest.id() + "/file?path=/big");

        List<Long> cutOffMillis = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            cutOffMillis.add(trickleReply(guest, guest.pollForAction().id()));
        }
        HttpResponse<String> response = download.get(30, TimeUnit.SECONDS);

        assertThat(cutOffMillis).allSatisfy(millis -> assertThat(millis).isBetween(900L, 5_000L));
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(DaemonFixture.json(response).get("message").asText()).contains("below the minimum of 1000 bytes/s");
        assertThat(temporaryFiles(guest)).isEmpty();
        assertThat(fixture.daemon.guest(guest.id()).service().temporaryBytes()).isZero();
        System.err.printf("reply body trickle of 10 bytes/s cut off after %s ms in three attempts"
                + " (grace 1000 ms, minimum 1000 bytes/s)%n", cutOffMillis);
    }

    @Test
    void slowLogIsNeverCutOff() throws Exception {
        start(limits -> limits.headerReadTimeout(Duration.ofSeconds(1)).idleTimeout(Duration.ofSeconds(1))
                .minReplyBytesPerSecond(1000).replyRateGracePeriod(Duration.ofSeconds(1)));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        GuestConnection log = guest.connect();
        log.write("POST /engine/v1/log HTTP/1.1\r\nHost: guest\r\nTransfer-Encoding: chunked\r\n\r\n");
        AtomicInteger lines = new AtomicInteger();
        CompletableFuture<Void> written = new CompletableFuture<>();
        // Ten one-line chunks over three seconds, then three seconds of silence.
        pacer.scheduleAtFixedRate(() -> {
            int line = lines.incrementAndGet();
            try {
                if (line <= 10) {
                    String text = "line " + line + "\n";
                    log.write(Integer.toHexString(text.length()) + "\r\n" + text + "\r\n");
                } else if (line == 20) {
                    log.write("0\r\n\r\n");
                    written.complete(null);
                }
            } catch (Exception e) {
                written.completeExceptionally(e);
            }
        }, 0, 300, TimeUnit.MILLISECONDS);

        written.get(20, TimeUnit.SECONDS);
        GuestConnection.Reply reply = log.readReply(DaemonFixture.WAIT);
        log.close();
        HttpResponse<String> stored = fixture.get("/v1/guests/" + guest.id() + "/log");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(stored.body()).startsWith("line 1\n").endsWith("line 10\n");
        assertThat(stored.body().lines()).hasSize(10);
    }

    @Test
    void listingBeyondBodyLimitIsRejected() throws Exception {
        start(limits -> limits.listFolderBodyLimit(1000));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> listing = fixture.sendAsync("GET", "/v1/guests/" + guest.id() + "/files?path=/out");
        StringBuilder files = new StringBuilder("{\"files\":[");
        for (int i = 0; i < 200; i++) {
            files.append(i == 0 ? "" : ",").append("\"/out/file-").append(i).append("\"");
        }
        String body = files.append("],\"notFound\":false}").toString();

        List<Integer> statuses = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            Action action = guest.pollForAction();
            statuses.add(guest.replyListing(action.id(), body).status());
        }
        HttpResponse<String> response = listing.get(20, TimeUnit.SECONDS);

        assertThat(body.length()).isGreaterThan(1000);
        assertThat(statuses).containsExactly(400, 400, 400);
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(DaemonFixture.json(response).get("message").asText()).contains("the host reads at most 1000");
    }

    @Test
    void artifactBeyondSizeLimitIsStoppedAndRemoved() throws Exception {
        start(limits -> limits.maxArtifactBytes(1000));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> download = fixture.sendAsync("GET", "/v1/guests/" + guest.id() + "/file?path=/big");

        Action action = guest.pollForAction();
        GuestConnection.Reply reply = guest.reply(action.id(), new byte[5000]);
        HttpResponse<String> response = download.get(20, TimeUnit.SECONDS);

        assertThat(reply.status()).isEqualTo(413);
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(DaemonFixture.json(response).get("code").asText()).isEqualTo("GuestOperationFailed");
        assertThat(DaemonFixture.json(response).get("message").asText())
                .contains("'/big'").contains("exceeds the limit of 1000 bytes").contains("raise the artifact size limit");
        assertThat(temporaryFiles(guest)).isEmpty();
    }

    @Test
    void temporaryBytesLimitStopsUploadWhileArtifactHeld() throws Exception {
        start(limits -> limits.maxArtifactBytes(1000).maxTemporaryBytes(1500));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        Guest daemonGuest = fixture.daemon.guest(guest.id());
        Future<Artifact> held = Executors.newSingleThreadExecutor().submit(() -> daemonGuest.service().getArtifact("/held"));
        Action first = guest.pollForAction();
        guest.reply(first.id(), new byte[1000]);
        Artifact artifact = held.get(20, TimeUnit.SECONDS);

        CompletableFuture<HttpResponse<String>> download = fixture.sendAsync("GET", "/v1/guests/" + guest.id() + "/file?path=/next");
        Action second = guest.pollForAction();
        GuestConnection.Reply refused = guest.reply(second.id(), new byte[1000]);
        HttpResponse<String> response = download.get(20, TimeUnit.SECONDS);
        long usedWhileHeld = daemonGuest.service().temporaryBytes();
        artifact.close();

        CompletableFuture<HttpResponse<String>> retry = fixture.sendAsync("GET", "/v1/guests/" + guest.id() + "/file?path=/next");
        Action third = guest.pollForAction();
        guest.reply(third.id(), new byte[1000]);

        assertThat(refused.status()).isEqualTo(413);
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(DaemonFixture.json(response).get("message").asText()).contains("limit of 1500 temporary bytes");
        assertThat(usedWhileHeld).isEqualTo(1000);
        assertThat(retry.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(daemonGuest.service().temporaryBytes()).isZero();
        assertThat(temporaryFiles(guest)).isEmpty();
    }

    @Test
    void forwardedResultAndReplyGet403() throws Exception {
        start(limits -> { });
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        List<String> headers = List.of("Forwarded: for=192.0.2.1", "forwarded: for=192.0.2.1",
                "X-Forwarded-For: 192.0.2.1", "x-forwarded-for: 192.0.2.1", "X-FORWARDED-FOR: 192.0.2.1",
                "Via: 1.1 proxy", "VIA: 1.1 proxy");
        CompletableFuture<HttpResponse<String>> kill = fixture.sendAsync("POST", "/v1/guests/" + guest.id() + "/kill");
        Action action = guest.pollForAction();

        for (String header : headers) {
            for (String[] request : new String[][] {{"PUT", "/engine/v1/success"}, {"PUT", "/engine/v1/failed"},
                {"POST", "/engine/v1/reply?id=" + action.id()}}) {
                GuestConnection.Reply reply = guest.request(request[0], request[1], new byte[0], header);
                JsonNode body = Json.MAPPER.readTree(reply.body());

                assertThat(reply.status()).as(header + " on " + request[1]).isEqualTo(403);
                assertThat(body.get("code").asText()).isEqualTo("Forbidden");
                assertThat(body.get("message").asText()).contains("proxy");
            }
            assertThat(guest.request("POST", "/engine/v1/log", "x".getBytes(StandardCharsets.UTF_8), header).status())
                    .isEqualTo(200);
            assertThat(guest.request("GET", "/engine/v1/ping", new byte[0], header).status()).isEqualTo(200);
        }

        assertThat(fixture.daemon.guest(guest.id()).state()).isEqualTo(GuestState.WAITING);
        assertThat(guest.reply(action.id(), new byte[0]).status()).isEqualTo(200);
        assertThat(kill.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void oversizedShellMessageClosesShell() throws Exception {
        start(limits -> limits.maxShellMessageBytes(io.metaservice.protocol.shell.ShellProtocol.BLOCK_SIZE + 2));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        try (ControlClients clients = new ControlClients()) {
            RawWebSocket client = new RawWebSocket();
            CompletableFuture<org.eclipse.jetty.websocket.api.Session> opening = clients.websockets.connect(client,
                    java.net.URI.create("ws://" + fixture.control.getAuthority() + "/v1/guests/" + guest.id() + "/shell"));
            Action action = guest.pollForAction();
            EchoShellGuest guestEnd = EchoShellGuest.connect(guest.info.attachment().host(),
                    guest.info.attachment().port(), action.id());
            org.eclipse.jetty.websocket.api.Session session = opening.get(20, TimeUnit.SECONDS);

            java.nio.ByteBuffer large = java.nio.ByteBuffer.allocate(20_000);
            large.put((byte) 0).put((byte) 0).position(large.capacity()).flip();
            session.sendBinary(large, org.eclipse.jetty.websocket.api.Callback.NOOP);

            assertThat(client.closeStatus.get(20, TimeUnit.SECONDS)).isEqualTo(1009);
            guestEnd.aborted.get(20, TimeUnit.SECONDS);
        }
        Guest daemonGuest = fixture.daemon.guest(guest.id());
        DaemonFixture.await("the shell is unregistered", () -> daemonGuest.shells().isEmpty());
    }

    private List<Path> temporaryFiles(TestGuest guest) throws Exception {
        try (Stream<Path> files = Files.list(temp.resolve("state/guests").resolve(guest.id()).resolve("tmp"))) {
            return files.toList();
        }
    }

    private void awaitParkedPolls(TestGuest guest, int count) throws Exception {
        Guest daemonGuest = fixture.daemon.guest(guest.id());
        DaemonFixture.await(count + " parked polls", () -> daemonGuest.service().parkedPolls() >= count);
    }

    /** Waits until the guest's connections have all closed, then opens a new one. */
    private GuestConnection awaitFreeConnection(TestGuest guest) throws Exception {
        Guest daemonGuest = fixture.daemon.guest(guest.id());
        DaemonFixture.await("no open connections", () -> daemonGuest.connections() == 0);
        return guest.connect();
    }

    /**
     * Replies to an action with a body that trickles one byte every 100 ms, and returns the
     * milliseconds until the daemon closed the connection, or -1 if it did not within 10 s.
     */
    private long trickleReply(TestGuest guest, String actionId) throws Exception {
        GuestConnection upload = guest.connect();
        upload.write("POST /engine/v1/reply?id=" + actionId
                + " HTTP/1.1\r\nHost: guest\r\nContent-Length: 100000\r\n\r\n");
        long start = System.nanoTime();
        ScheduledFuture<?> trickle = pacer.scheduleAtFixedRate(() -> {
            try {
                upload.write(new byte[] {'x'});
            } catch (Exception e) {
                throw new IllegalStateException("the upload was cut off", e);
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        try {
            boolean closed = upload.awaitClose(Duration.ofSeconds(10));
            return closed ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) : -1;
        } finally {
            trickle.cancel(false);
            upload.close();
        }
    }
}
