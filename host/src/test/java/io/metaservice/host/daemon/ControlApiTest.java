package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control API driven with a plain HTTP client: every end-point and its errors. */
class ControlApiTest {

    @TempDir
    Path temp;
    DaemonFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new DaemonFixture(temp);
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void createReturnsIdAndAttachment() throws Exception {
        HttpResponse<String> response = fixture.send("POST", "/v1/guests",
                "{\"command\":[\"make\",\"test\"],\"env\":{\"A\":\"1\"},\"route\":{\"type\":\"unix-socket\"}}");
        JsonNode body = DaemonFixture.json(response);
        String id = body.get("id").asText();
        String socket = body.get("attachment").get("socket").asText();

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.headers().firstValue("Location")).hasValue("/v1/guests/" + id);
        assertThat(body.get("state").asText()).isEqualTo("waiting");
        assertThat(body.get("result").isNull()).isTrue();
        assertThat(body.get("route").get("type").asText()).isEqualTo("unix-socket");
        assertThat(Path.of(socket)).exists();
        assertThat(Files.getPosixFilePermissions(Path.of(socket)))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(body.get("attachment").get("qemuNetdev").asText()).isEqualTo(
                "user,id=net0,restrict=on,net=169.254.0.0/16,host=169.254.0.2,"
                        + "guestfwd=tcp:169.254.169.254:80-cmd:socat STDIO 'UNIX-CONNECT:" + socket + "'");
    }

    @Test
    void createOnPortReturnsPortAndNetdev() throws Exception {
        JsonNode body = DaemonFixture.json(fixture.send("POST", "/v1/guests",
                "{\"command\":[\"true\"],\"route\":{\"type\":\"loopback-port\",\"host\":\"127.0.0.1\",\"port\":0}}"));
        int port = body.get("attachment").get("port").asInt();

        assertThat(port).isPositive();
        assertThat(body.get("attachment").get("host").asText()).isEqualTo("127.0.0.1");
        assertThat(body.get("attachment").get("qemuNetdev").asText()).isEqualTo(
                "user,id=net0,restrict=on,net=169.254.0.0/16,host=169.254.0.2,"
                        + "guestfwd=tcp:169.254.169.254:80-cmd:socat STDIO 'TCP:127.0.0.1:" + port + "'");
    }

    @Test
    void listShowsGuestsWithState() throws Exception {
        TestGuest first = fixture.guest("a", DaemonFixture.portRoute());
        TestGuest second = fixture.guest("b", DaemonFixture.unixRoute());
        first.execute();
        second.report(false);

        JsonNode guests = DaemonFixture.json(fixture.get("/v1/guests")).get("guests");
        Map<String, String> states = new LinkedHashMap<>();
        for (JsonNode guest : guests) {
            states.put(guest.get("id").asText(), guest.get("state").asText());
        }

        assertThat(states).containsExactly(Map.entry(first.id(), "running"), Map.entry(second.id(), "failed"));
        assertThat(guests.get(1).get("result").asText()).isEqualTo("failure");
    }

    @Test
    void followedLogEndsWithResult() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        guest.log("first line\n");
        CompletableFuture<HttpResponse<InputStream>> follow = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/log?follow=true")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response = follow.get(20, TimeUnit.SECONDS);
        InputStream body = response.body();

        byte[] first = body.readNBytes("first line\n".length());
        guest.log("second line\n");
        byte[] second = body.readNBytes("second line\n".length());
        guest.report(true);
        byte[] rest = body.readAllBytes();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("first line\n");
        assertThat(new String(second, StandardCharsets.UTF_8)).isEqualTo("second line\n");
        assertThat(rest).isEmpty();
    }

    @Test
    void logWithoutFollowReturnsStoredBytes() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.unixRoute());
        guest.log("stored\n");

        HttpResponse<String> response = fixture.get("/v1/guests/" + guest.id() + "/log");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("stored\n");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
    }

    @Test
    void resultWaitReturnsOnReport() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> wait = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/result?timeout=30")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(guest.report(true).status()).isEqualTo(200);
        HttpResponse<String> response = wait.get(20, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"id\":\"" + guest.id() + "\",\"state\":\"succeeded\",\"result\":\"success\"}");
    }

    @Test
    void resultWaitTimesOutWithNullResult() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());

        HttpResponse<String> now = fixture.get("/v1/guests/" + guest.id() + "/result?timeout=0");
        HttpResponse<String> later = fixture.get("/v1/guests/" + guest.id() + "/result?timeout=1");

        assertThat(now.statusCode()).isEqualTo(200);
        assertThat(DaemonFixture.json(now).get("result").isNull()).isTrue();
        assertThat(DaemonFixture.json(later).get("state").asText()).isEqualTo("waiting");
    }

    @Test
    void resultWaitEndsOnRelease() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> wait = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/result?timeout=60")).build(),
                HttpResponse.BodyHandlers.ofString());

        fixture.post("/v1/guests/" + guest.id() + "/release");
        JsonNode body = DaemonFixture.json(wait.get(20, TimeUnit.SECONDS));

        assertThat(body.get("state").asText()).isEqualTo("released");
        assertThat(body.get("result").isNull()).isTrue();
    }

    @Test
    void listFolderReturnsGuestListing() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.unixRoute());
        CompletableFuture<HttpResponse<String>> listing = sendAsync("GET", "/v1/guests/" + guest.id() + "/files?path=/out");

        Action action = guest.pollForAction();
        guest.replyListing(action.id(), "{\"files\":[\"/out/a.txt\",\"/out/sub/b.txt\"],\"notFound\":false}");
        HttpResponse<String> response = listing.get(20, TimeUnit.SECONDS);

        assertThat(action.type()).isEqualTo(ActionType.LIST_FOLDER);
        assertThat(action.path()).isEqualTo("/out");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"path\":\"/out\",\"files\":[\"/out/a.txt\",\"/out/sub/b.txt\"]}");
    }

    @Test
    void missingFolderGets404ResourceNotFound() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> listing = sendAsync("GET", "/v1/guests/" + guest.id() + "/files?path=/nope");

        Action action = guest.pollForAction();
        guest.replyListing(action.id(), "{\"files\":null,\"notFound\":true}");
        HttpResponse<String> response = listing.get(20, TimeUnit.SECONDS);

        assertError(response, 404, "ResourceNotFound");
        assertThat(DaemonFixture.json(response).get("message").asText()).contains(guest.id()).contains("/nope");
    }

    @Test
    void downloadFileReturnsBytes() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<byte[]>> download = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/file?path=/out/r.bin")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        byte[] content = new byte[100_000];
        new java.util.Random(7).nextBytes(content);

        Action action = guest.pollForAction();
        guest.reply(action.id(), content);
        HttpResponse<byte[]> response = download.get(20, TimeUnit.SECONDS);

        assertThat(action.type()).isEqualTo(ActionType.GET_ARTIFACT);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Length")).hasValue("100000");
        assertThat(response.body()).isEqualTo(content);
        assertThat(fixture.daemon.guest(guest.id()).service().temporaryBytes()).isZero();
    }

    @Test
    void missingFileGets404() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> download = sendAsync("GET", "/v1/guests/" + guest.id() + "/file?path=/x");

        Action action = guest.pollForAction();
        guest.reply(action.id(), new byte[0], "X-Taskcluster-Worker-Error: file-not-found");

        assertError(download.get(20, TimeUnit.SECONDS), 404, "ResourceNotFound");
    }

    @Test
    void downloadFolderAsTarEntryByEntry() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.unixRoute());
        Map<String, String> files = new LinkedHashMap<>();
        files.put("/out/a.txt", "alpha");
        files.put("/out/sub/b.txt", "beta beta");
        files.put("/out/sub/deeper/c.bin", "");
        files.put("/out/" + "n".repeat(120) + "/long-name.txt", "long");
        CompletableFuture<HttpResponse<byte[]>> archive = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/archive?path=/out")).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        Action list = guest.pollForAction();
        guest.replyListing(list.id(), Json.MAPPER.writeValueAsString(
                Map.of("files", List.copyOf(files.keySet()), "notFound", false)));
        List<String> requested = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Action get = guest.pollForAction();
            requested.add(get.path());
            guest.reply(get.id(), files.get(get.path()).getBytes(StandardCharsets.UTF_8));
        }
        HttpResponse<byte[]> response = archive.get(20, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-tar");
        assertThat(requested).containsExactlyElementsOf(files.keySet());
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(response.body()))) {
            for (Map.Entry<String, String> file : files.entrySet()) {
                TarArchiveEntry entry = tar.getNextEntry();
                assertThat(entry).as(file.getKey()).isNotNull();
                assertThat(entry.getName()).isEqualTo(file.getKey().substring("/out/".length()));
                assertThat(entry.isFile()).isTrue();
                assertThat(entry.getMode()).isEqualTo(0100644);
                assertThat(entry.getSize()).isEqualTo(file.getValue().length());
                assertThat(new String(tar.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(file.getValue());
            }
            assertThat(tar.getNextEntry()).isNull();
        }
    }

    @Test
    void archiveWithVanishedFirstFileGets404() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> archive = fixture.sendAsync("GET",
                "/v1/guests/" + guest.id() + "/archive?path=/out");

        Action list = guest.pollForAction();
        guest.replyListing(list.id(), "{\"files\":[\"/out/gone.txt\"],\"notFound\":false}");
        Action get = guest.pollForAction();
        guest.reply(get.id(), new byte[0], "X-Taskcluster-Worker-Error: file-not-found");
        HttpResponse<String> response = archive.get(20, TimeUnit.SECONDS);

        assertError(response, 404, "ResourceNotFound");
        assertThat(DaemonFixture.json(response).get("message").asText()).contains("/out/gone.txt");
    }

    @Test
    void archiveBrokenAfterFirstFileBreaksStream() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<byte[]>> archive = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/archive?path=/out")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        byte[] large = new byte[200_000];

        Action list = guest.pollForAction();
        guest.replyListing(list.id(), "{\"files\":[\"/out/first.bin\",\"/out/gone.txt\"],\"notFound\":false}");
        Action first = guest.pollForAction();
        guest.reply(first.id(), large);
        Action second = guest.pollForAction();
        guest.reply(second.id(), new byte[0], "X-Taskcluster-Worker-Error: file-not-found");

        assertThat(first.path()).isEqualTo("/out/first.bin");
        assertThat(second.path()).isEqualTo("/out/gone.txt");
        assertThatThrownBy(() -> archive.get(20, TimeUnit.SECONDS))
                .isInstanceOf(java.util.concurrent.ExecutionException.class)
                .hasCauseInstanceOf(java.io.IOException.class);
    }

    @Test
    void emptyFolderGivesEmptyTar() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<byte[]>> archive = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/archive?path=/out/")).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        Action list = guest.pollForAction();
        guest.replyListing(list.id(), "{\"files\":[],\"notFound\":false}");
        HttpResponse<byte[]> response = archive.get(20, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(200);
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(response.body()))) {
            assertThat(tar.getNextEntry()).isNull();
        }
    }

    @Test
    void shellRelaysStdinStdoutAndExit() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        try (ControlClients clients = new ControlClients()) {
            CompletableFuture<HostShell> opening = CompletableFuture.supplyAsync(() -> {
                try {
                    return clients.openShell(shellUri(guest.id(), "?tty=true&command=bash&command=-l"), null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Action action = guest.pollForAction();
            EchoShellGuest guestEnd = EchoShellGuest.connect(guest.info.attachment().host(),
                    guest.info.attachment().port(), action.id());
            HostShell shell = opening.get(20, TimeUnit.SECONDS);

            shell.setSize(120, 40);
            shell.stdin().write("hello shell\n".getBytes(StandardCharsets.UTF_8));
            byte[] echoed = shell.stdout().readNBytes("HELLO SHELL\n".length());
            shell.stdin().close();
            byte[] rest = shell.stdout().readAllBytes();
            ShellResult result = shell.result().get(20, TimeUnit.SECONDS);

            assertThat(action.type()).isEqualTo(ActionType.EXEC_SHELL);
            assertThat(action.command()).containsExactly("bash", "-l");
            assertThat(action.tty()).isTrue();
            assertThat(guestEnd.sizes.get(20, TimeUnit.SECONDS).columns()).isEqualTo(120);
            assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("HELLO SHELL\n");
            assertThat(rest).isEmpty();
            assertThat(shell.stderr().readAllBytes()).isEmpty();
            assertThat(result).isEqualTo(ShellResult.SUCCESS);
        }
    }

    @Test
    void shellAbortReachesGuest() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        try (ControlClients clients = new ControlClients()) {
            CompletableFuture<HostShell> opening = CompletableFuture.supplyAsync(() -> {
                try {
                    return clients.openShell(shellUri(guest.id(), ""), null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Action action = guest.pollForAction();
            EchoShellGuest guestEnd = EchoShellGuest.connect(guest.info.attachment().host(),
                    guest.info.attachment().port(), action.id());
            HostShell shell = opening.get(20, TimeUnit.SECONDS);

            shell.abort();

            assertThat(action.command()).isNull();
            guestEnd.aborted.get(20, TimeUnit.SECONDS);
            assertThat(shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.ABORTED);
        }
    }

    @Test
    void shellWithoutUpgradeGets400() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());

        assertError(fixture.get("/v1/guests/" + guest.id() + "/shell"), 400, "InvalidRequest");
    }

    @Test
    void killSendsKillProcess() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> kill = sendAsync("POST", "/v1/guests/" + guest.id() + "/kill");

        Action action = guest.pollForAction();
        guest.reply(action.id(), new byte[0]);
        HttpResponse<String> response = kill.get(20, TimeUnit.SECONDS);

        assertThat(action.type()).isEqualTo(ActionType.KILL_PROCESS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(DaemonFixture.json(response).get("id").asText()).isEqualTo(guest.id());
    }

    @Test
    void releaseThenOperationsGet409() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());

        HttpResponse<String> release = fixture.post("/v1/guests/" + guest.id() + "/release");
        HttpResponse<String> again = fixture.post("/v1/guests/" + guest.id() + "/release");

        assertThat(release.statusCode()).isEqualTo(200);
        assertThat(again.statusCode()).isEqualTo(200);
        for (String path : List.of("/files?path=/a", "/file?path=/a", "/archive?path=/a")) {
            assertError(fixture.get("/v1/guests/" + guest.id() + path), 409, "GuestReleased");
        }
        assertError(fixture.post("/v1/guests/" + guest.id() + "/kill"), 409, "GuestReleased");
    }

    @Test
    void removedGuestGets404GuestNotFound() throws Exception {
        fixture.close();
        fixture = new DaemonFixture(temp, builder -> builder.releasedRetention(Duration.ZERO));
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());

        fixture.post("/v1/guests/" + guest.id() + "/release");

        assertThat(fixture.daemon.guests()).isEmpty();
        assertError(fixture.get("/v1/guests/" + guest.id()), 404, "GuestNotFound");
    }

    @Test
    void pendingOperationsFailOnRelease() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> listing = sendAsync("GET", "/v1/guests/" + guest.id() + "/files?path=/a");
        guest.pollForAction();

        fixture.post("/v1/guests/" + guest.id() + "/release");

        assertError(listing.get(20, TimeUnit.SECONDS), 409, "GuestReleased");
    }

    @Test
    void guestThatNeverPollsGets504() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());

        HttpResponse<String> response = fixture.get("/v1/guests/" + guest.id() + "/files?path=/a");

        assertError(response, 504, "GuestUnavailable");
        assertThat(DaemonFixture.json(response).get("message").asText())
                .contains(guest.id()).contains("'/a'").contains("check that its agent is running");
    }

    @Test
    void requestErrorsHaveStatusAndCode() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        String base = "/v1/guests/" + guest.id();

        assertError(fixture.get("/v2/guests"), 404, "NoSuchEndPoint");
        assertError(fixture.get(base + "/unknown"), 404, "NoSuchEndPoint");
        assertError(fixture.get(base + "/log/extra"), 404, "NoSuchEndPoint");
        assertError(fixture.get("/v1/guests/NoSuchGuestIdAAAAAAAAAA"), 404, "GuestNotFound");
        assertError(fixture.get(base + "/files"), 400, "InvalidRequest");
        assertError(fixture.get(base + "/files?path="), 400, "InvalidRequest");
        assertError(fixture.get(base + "/archive?path=relative/out"), 400, "InvalidRequest");
        assertError(fixture.get(base + "/log?follow=maybe"), 400, "InvalidRequest");
        assertError(fixture.get(base + "/result?timeout=61"), 400, "InvalidRequest");
        assertError(fixture.get(base + "/result?timeout=-1"), 400, "InvalidRequest");

        HttpResponse<String> wrongMethod = fixture.send("DELETE", base, null);
        assertError(wrongMethod, 405, "MethodNotAllowed");
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET");
        HttpResponse<String> wrongOnGuests = fixture.send("PUT", "/v1/guests", "{}");
        assertError(wrongOnGuests, 405, "MethodNotAllowed");
        assertThat(wrongOnGuests.headers().firstValue("Allow")).hasValue("GET, POST");
        assertError(fixture.get(base + "/kill"), 405, "MethodNotAllowed");
        assertError(fixture.get(base + "/release"), 405, "MethodNotAllowed");
    }

    @Test
    void invalidCreateBodiesGet400() throws Exception {
        Map<String, String> bodies = new LinkedHashMap<>();
        bodies.put("not json", "the body is not valid JSON");
        bodies.put("null", "the body is null");
        bodies.put("{\"route\":{\"type\":\"loopback-port\"}}", "the command is missing");
        bodies.put("{\"command\":[],\"route\":{\"type\":\"loopback-port\"}}", "the command is missing");
        bodies.put("{\"command\":[\"a\\u0000b\"],\"route\":{\"type\":\"loopback-port\"}}", "NUL");
        bodies.put("{\"command\":[\"true\"]}", "route");
        bodies.put("{\"command\":[\"true\"],\"env\":{\"A=B\":\"x\"},\"route\":{\"type\":\"loopback-port\"}}",
                "invalid environment variable name");
        bodies.put("{\"command\":[\"true\"],\"route\":{\"type\":\"carrier-pigeon\"}}", "carrier-pigeon");
        bodies.put("{\"command\":[\"true\"],\"route\":{\"type\":\"subnet\",\"subnet\":\"10.0.0.1/8\"}}", "host bits");
        bodies.put("{\"command\":[\"true\"],\"route\":{\"type\":\"subnet\",\"subnet\":\"example.com/24\"}}",
                "not an IPv4 or IPv6 address literal");
        bodies.put("{\"command\":[\"true\"],\"route\":{\"type\":\"unix-socket\",\"path\":\"rel/sock\"}}", "relative");
        bodies.put("{\"command\":[\"true\"],\"route\":{\"type\":\"loopback-port\",\"host\":\"10.0.0.1\"}}",
                "not a loopback address");
        bodies.put("{\"command\":[\"true\"],\"route\":{\"type\":\"loopback-port\",\"host\":\"localhost\"}}",
                "not an IP address literal");
        bodies.put("{\"command\":[\"true\"],\"route\":{\"type\":\"loopback-port\",\"port\":70000}}", "0 to 65535");

        for (Map.Entry<String, String> body : bodies.entrySet()) {
            HttpResponse<String> response = fixture.send("POST", "/v1/guests", body.getKey());

            assertError(response, 400, "InvalidRequest");
            assertThat(DaemonFixture.json(response).get("message").asText()).as(body.getKey()).contains(body.getValue());
        }
        assertThat(fixture.daemon.guests()).isEmpty();
    }

    @Test
    void oversizedBodyGets400() throws Exception {
        String huge = "{\"command\":[\"" + "x".repeat(2 * 1024 * 1024) + "\"],\"route\":{\"type\":\"loopback-port\"}}";

        HttpResponse<String> response = fixture.send("POST", "/v1/guests", huge);

        assertError(response, 400, "InvalidRequest");
        assertThat(DaemonFixture.json(response).get("message").asText()).contains("exceeds the maximum");
    }

    @Test
    void routeConflictsGet409() throws Exception {
        fixture.create(DaemonFixture.subnetRoute("127.0.0.0/24"), List.of("true"), Map.of());
        Path socket = temp.resolve("own.sock");
        fixture.create("{\"type\":\"unix-socket\",\"path\":\"" + socket + "\"}", List.of("true"), Map.of());
        Path regularFile = Files.writeString(temp.resolve("plain-file"), "x");

        assertError(fixture.send("POST", "/v1/guests", createBody(DaemonFixture.subnetRoute("127.0.0.128/25"))),
                409, "RouteConflict");
        assertError(fixture.send("POST", "/v1/guests", createBody(
                "{\"type\":\"unix-socket\",\"path\":\"" + socket + "\"}")), 409, "RouteConflict");
        assertError(fixture.send("POST", "/v1/guests", createBody(
                "{\"type\":\"unix-socket\",\"path\":\"" + regularFile + "\"}")), 409, "RouteConflict");
        assertThat(Files.readString(regularFile)).isEqualTo("x");
    }

    @Test
    void releasedRouteCanBeTakenAgain() throws Exception {
        ControlBodiesHolder first = new ControlBodiesHolder(fixture.create(
                DaemonFixture.subnetRoute("127.0.0.2/32"), List.of("true"), Map.of()));
        fixture.post("/v1/guests/" + first.id() + "/release");

        TestGuest second = fixture.subnetGuest("second", "127.0.0.2");

        assertThat(second.execute().command()).containsExactly("echo", "second");
        assertError(fixture.get("/v1/guests/" + first.id()), 404, "GuestNotFound");
    }

    @Test
    void tooManyGuestsGets429() throws Exception {
        fixture.close();
        fixture = new DaemonFixture(temp, builder -> builder.maxGuests(2));
        fixture.create(DaemonFixture.portRoute(), List.of("true"), Map.of());
        fixture.create(DaemonFixture.portRoute(), List.of("true"), Map.of());

        HttpResponse<String> third = fixture.send("POST", "/v1/guests", createBody(DaemonFixture.portRoute()));

        assertError(third, 429, "LimitExceeded");
    }

    @Test
    void daemonInfoNamesListenersAndLimits() throws Exception {
        JsonNode info = DaemonFixture.json(fixture.get("/v1/daemon"));

        assertThat(info.get("control").asText()).isEqualTo(fixture.control.getAuthority());
        assertThat(info.get("guestListener").asText()).startsWith("127.0.0.1:");
        assertThat(info.get("limits").get("maxConnections").asLong()).isEqualTo(GuestLimits.DEFAULT_MAX_CONNECTIONS);
    }

    @Test
    void bearerTokenIsRequired() throws Exception {
        fixture.close();
        fixture = new DaemonFixture(temp, builder -> builder.bearerToken("s3cret"));

        HttpResponse<String> missing = fixture.get("/v1/guests");
        HttpResponse<String> wrong = fixture.http.send(HttpRequest.newBuilder(fixture.control.resolve("/v1/guests"))
                .header("Authorization", "Bearer guess").build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> right = fixture.http.send(HttpRequest.newBuilder(fixture.control.resolve("/v1/guests"))
                .header("Authorization", "Bearer s3cret").build(), HttpResponse.BodyHandlers.ofString());

        assertError(missing, 401, "Unauthorized");
        assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"metaservice\"");
        assertError(wrong, 401, "Unauthorized");
        assertThat(wrong.body()).doesNotContain("s3cret");
        assertThat(right.statusCode()).isEqualTo(200);
    }

    @Test
    void controlOnUnixSocketIsOwnerOnly() throws Exception {
        fixture.close();
        Path socket = temp.resolve("control.sock");
        fixture = new DaemonFixture(temp, builder -> builder.control("unix:" + socket).bearerToken("t"));
        try (ControlClients clients = new ControlClients(socket)) {
            org.eclipse.jetty.client.ContentResponse response = clients.http
                    .newRequest(clients.unixBase("http").resolve("/v1/guests"))
                    .headers(headers -> headers.put("Authorization", "Bearer t"))
                    .timeout(20, TimeUnit.SECONDS)
                    .send();

            assertThat(response.getStatus()).isEqualTo(200);
            assertThat(response.getContentAsString()).isEqualTo("{\"guests\":[]}");
        }
        assertThat(Files.getPosixFilePermissions(socket)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(Files.list(temp).filter(p -> p.getFileName().toString().startsWith(".metaservice-"))).isEmpty();
        fixture.close();
        assertThat(socket).doesNotExist();
    }

    @Test
    void shellOverUnixControlSocket() throws Exception {
        fixture.close();
        Path socket = temp.resolve("control.sock");
        fixture = new DaemonFixture(temp, builder -> builder.control("unix:" + socket).bearerToken("t"));
        ControlBodiesHolder created;
        try (ControlClients clients = new ControlClients(socket)) {
            String body = clients.http.newRequest(clients.unixBase("http").resolve("/v1/guests"))
                    .method("POST")
                    .headers(headers -> headers.put("Authorization", "Bearer t"))
                    .body(new org.eclipse.jetty.client.StringRequestContent("application/json",
                            createBody(DaemonFixture.portRoute())))
                    .timeout(20, TimeUnit.SECONDS)
                    .send().getContentAsString();
            created = new ControlBodiesHolder(Json.MAPPER.readValue(body,
                    io.metaservice.host.daemon.control.ControlBodies.GuestInfo.class));
            CompletableFuture<HostShell> opening = CompletableFuture.supplyAsync(() -> {
                try {
                    return clients.openShell(clients.unixBase("ws").resolve("/v1/guests/" + created.id() + "/shell"), "t");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            TestGuest guest = new TestGuest(fixture, created.info, null);
            Action action = guest.pollForAction();
            EchoShellGuest.connect(created.info.attachment().host(), created.info.attachment().port(), action.id());
            HostShell shell = opening.get(20, TimeUnit.SECONDS);

            shell.stdin().write("x".getBytes(StandardCharsets.UTF_8));
            byte[] echoed = shell.stdout().readNBytes(1);
            shell.stdin().close();

            assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("X");
            assertThat(shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.SUCCESS);
        }
    }

    private static String createBody(String route) {
        return "{\"command\":[\"true\"],\"route\":" + route + "}";
    }

    private URI shellUri(String guestId, String query) {
        return URI.create("ws://" + fixture.control.getAuthority() + "/v1/guests/" + guestId + "/shell" + query);
    }

    private CompletableFuture<HttpResponse<String>> sendAsync(String method, String path) {
        return fixture.http.sendAsync(HttpRequest.newBuilder(fixture.control.resolve(path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(HttpResponse<String> response, int status, String code) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("code").asText()).as(response.body()).isEqualTo(code);
        assertThat(body.get("message").asText()).isNotBlank();
    }

    /** A created guest, for tests that only need its id and attachment. */
    private record ControlBodiesHolder(io.metaservice.host.daemon.control.ControlBodies.GuestInfo info) {
        String id() {
            return info.id();
        }
    }
}
