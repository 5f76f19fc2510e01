package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaservice.host.HostOperationException;
import io.metaservice.host.shell.HostShell;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guests that vanish in the middle of a log, an artifact upload and a shell: the operation
 * fails with a clear message, and threads, temporary files and file descriptors return to
 * where they were.
 */
class GuestVanishTest {

    @TempDir
    Path temp;
    DaemonFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new DaemonFixture(temp, builder -> builder.releasedRetention(java.time.Duration.ZERO));
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void vanishingGuestsLeakNothing() throws Exception {
        try (ControlClients clients = new ControlClients()) {
            // The first round warms up pools and clients; the next rounds must not grow anything.
            runVanishingRound(clients);
            Resources before = Resources.measure(fixture, temp);

            for (int round = 0; round < 2; round++) {
                runVanishingRound(clients);
            }

            Resources after = Resources.measure(fixture, temp);
            System.err.printf("leak check after 1 round: %s; after 3 rounds: %s%n", before, after);
            assertThat(after.shellThreads()).isZero();
            assertThat(after.guestConnections()).isZero();
            assertThat(after.stateFiles()).isEqualTo(before.stateFiles());
            assertThat(after.guests()).isZero();
            assertThat(after.serverThreads()).isLessThanOrEqualTo(
                    DaemonConfig.DEFAULT_GUEST_THREADS + DaemonConfig.DEFAULT_CONTROL_THREADS);
            // The test's own clients keep a few pooled connections, so the descriptor count gets
            // a little room. A leak per guest or per operation would exceed it.
            assertThat(after.openFiles()).isLessThanOrEqualTo(before.openFiles() + 4);
        }
    }

    private void runVanishingRound(ControlClients clients) throws Exception {
        vanishMidLog();
        vanishMidArtifact();
        vanishMidShell(clients);
        runNextGuest(clients);
        DaemonFixture.await("shell threads end", () -> Resources.countShellThreads() == 0);
    }

    private void vanishMidLog() throws Exception {
        TestGuest guest = fixture.guest("log", DaemonFixture.unixRoute());
        CompletableFuture<HttpResponse<InputStream>> follow = fixture.http.sendAsync(
                HttpRequest.newBuilder(fixture.control.resolve("/v1/guests/" + guest.id() + "/log?follow=true")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        GuestConnection log = guest.connect();
        log.write("POST /engine/v1/log HTTP/1.1\r\nHost: guest\r\nTransfer-Encoding: chunked\r\n\r\n8\r\npartial\n\r\n");
        InputStream followed = follow.get(20, TimeUnit.SECONDS).body();
        byte[] first = followed.readNBytes("partial\n".length());

        log.close();
        fixture.post("/v1/guests/" + guest.id() + "/release");
        byte[] rest = followed.readAllBytes();

        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("partial\n");
        assertThat(rest).isEmpty();
    }

    private void vanishMidArtifact() throws Exception {
        TestGuest guest = fixture.guest("artifact", DaemonFixture.portRoute());
        CompletableFuture<HttpResponse<String>> download =
                fixture.sendAsync("GET", "/v1/guests/" + guest.id() + "/file?path=/big");
        Action action = guest.pollForAction();
        GuestConnection upload = guest.connect();
        upload.write("POST /engine/v1/reply?id=" + action.id() + " HTTP/1.1\r\nHost: guest\r\nContent-Length: 1048576\r\n\r\n");
        upload.write(new byte[100_000]);
        Guest daemonGuest = fixture.daemon.guest(guest.id());
        DaemonFixture.await("upload received", () -> daemonGuest.service().temporaryBytes() == 100_000);

        upload.reset();
        HttpResponse<String> response = download.get(30, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(DaemonFixture.json(response).get("message").asText())
                .contains(guest.id()).contains("'/big'").contains("check that its agent is running");
        assertThat(daemonGuest.service().temporaryBytes()).isZero();
        try (Stream<Path> files = Files.list(temp.resolve("state/guests").resolve(guest.id()).resolve("tmp"))) {
            assertThat(files.toList()).isEmpty();
        }
        fixture.post("/v1/guests/" + guest.id() + "/release");
    }

    private void vanishMidShell(ControlClients clients) throws Exception {
        TestGuest guest = fixture.guest("shell", DaemonFixture.portRoute());
        CompletableFuture<HostShell> opening = CompletableFuture.supplyAsync(() -> {
            try {
                return clients.openShell(URI.create("ws://" + fixture.control.getAuthority()
                        + "/v1/guests/" + guest.id() + "/shell"), null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Action action = guest.pollForAction();
        EchoShellGuest guestEnd = EchoShellGuest.connect(guest.info.attachment().host(),
                guest.info.attachment().port(), action.id());
        HostShell shell = opening.get(20, TimeUnit.SECONDS);
        shell.stdin().write("ping\n".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(shell.stdout().readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("PING\n");

        guestEnd.socket.abort();

        assertThatThrownBy(() -> shell.result().get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(HostOperationException.class)
                .hasMessageContaining("shell failed");
        fixture.post("/v1/guests/" + guest.id() + "/release");
    }

    /** Runs a guest that works normally: command, log, kill, result, release. */
    private void runNextGuest(ControlClients clients) throws Exception {
        TestGuest guest = fixture.guest("next", DaemonFixture.unixRoute());
        assertThat(guest.execute().command()).containsExactly("echo", "next");
        assertThat(guest.log("next\n").status()).isEqualTo(200);
        CompletableFuture<HttpResponse<String>> kill = fixture.sendAsync("POST", "/v1/guests/" + guest.id() + "/kill");
        Action action = guest.pollForAction();
        guest.reply(action.id(), new byte[0]);
        assertThat(action.type()).isEqualTo(ActionType.KILL_PROCESS);
        assertThat(kill.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(guest.report(true).status()).isEqualTo(200);
        assertThat(fixture.get("/v1/guests/" + guest.id() + "/log").body()).isEqualTo("next\n");
        fixture.post("/v1/guests/" + guest.id() + "/release");
    }

    /** Resources that a vanished guest could leave behind. */
    record Resources(int jvmThreads, int serverThreads, int shellThreads, int openFiles, int guestConnections,
            long stateFiles, int guests) {

        static Resources measure(DaemonFixture fixture, Path temp) throws Exception {
            int openFiles;
            try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
                openFiles = (int) descriptors.count();
            }
            long stateFiles;
            try (Stream<Path> files = Files.walk(temp.resolve("state"))) {
                stateFiles = files.count();
            }
            return new Resources(Thread.activeCount(), fixture.daemon.serverThreads(), countShellThreads(),
                    openFiles, fixture.daemon.guestConnections(), stateFiles, fixture.daemon.guests().size());
        }

        static int countShellThreads() {
            return (int) Thread.getAllStackTraces().keySet().stream()
                    .filter(thread -> thread.getName().startsWith("metaservice-shell-"))
                    .count();
        }
    }
}
