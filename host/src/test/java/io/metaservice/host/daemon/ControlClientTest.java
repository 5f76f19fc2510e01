package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import io.metaservice.host.daemon.control.ControlBodies;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import io.metaservice.protocol.Action;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java control client against a daemon on a Unix domain socket with a bearer token. */
class ControlClientTest {

    @TempDir
    Path temp;
    DaemonFixture fixture;
    ControlClient client;

    @BeforeEach
    void start() throws Exception {
        Path socket = temp.resolve("control.sock");
        fixture = new DaemonFixture(temp, builder -> builder.control("unix:" + socket).bearerToken("t0ken"));
        client = ControlClient.connect(new ControlEndpoint.UnixSocket(socket), "t0ken");
    }

    @AfterEach
    void stop() {
        client.close();
        fixture.close();
    }

    @Test
    void clientDrivesWholeGuestLife() throws Exception {
        ControlBodies.GuestInfo created = client.create(new GuestSpec(List.of("echo", "hi"), Map.of("K", "v"),
                new GuestRoute.LoopbackPortRoute(null, 0)));
        TestGuest guest = new TestGuest(fixture, created, null);

        assertThat(guest.execute().command()).containsExactly("echo", "hi");
        guest.log("hello\n");
        CompletableFuture<ControlBodies.FolderListing> listing = CompletableFuture.supplyAsync(() -> call(
                () -> client.listFolder(created.id(), "/out")));
        Action list = guest.pollForAction();
        guest.replyListing(list.id(), "{\"files\":[\"/out/a\"],\"notFound\":false}");
        CompletableFuture<byte[]> archive = CompletableFuture.supplyAsync(() -> call(() -> {
            try (InputStream in = client.archive(created.id(), "/out")) {
                return in.readAllBytes();
            }
        }));
        Action listAgain = guest.pollForAction();
        guest.replyListing(listAgain.id(), "{\"files\":[\"/out/a\"],\"notFound\":false}");
        Action get = guest.pollForAction();
        guest.reply(get.id(), "content".getBytes(StandardCharsets.UTF_8));
        guest.report(true);

        assertThat(listing.get(20, TimeUnit.SECONDS).files()).containsExactly("/out/a");
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new java.io.ByteArrayInputStream(archive.get(20, TimeUnit.SECONDS)))) {
            assertThat(tar.getNextEntry().getName()).isEqualTo("a");
            assertThat(new String(tar.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("content");
        }
        try (InputStream log = client.log(created.id(), true)) {
            assertThat(new String(log.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        }
        assertThat(client.result(created.id(), Duration.ofSeconds(5)).result()).isEqualTo("success");
        assertThat(client.guests()).extracting(ControlBodies.GuestInfo::id).containsExactly(created.id());
        assertThat(client.daemon().guests()).isEqualTo(1);
        assertThat(client.release(created.id()).state()).isEqualTo(GuestState.RELEASED);
    }

    @Test
    void clientOpensShellThroughDaemon() throws Exception {
        ControlBodies.GuestInfo created = client.create(new GuestSpec(List.of("true"), Map.of(),
                new GuestRoute.LoopbackPortRoute("127.0.0.1", 0)));
        TestGuest guest = new TestGuest(fixture, created, null);
        CompletableFuture<HostShell> opening = CompletableFuture.supplyAsync(() -> call(
                () -> client.shell(created.id(), List.of("sh", "-c", "cat"), false)));
        Action action = guest.pollForAction();
        EchoShellGuest.connect(created.attachment().host(), created.attachment().port(), action.id());
        HostShell shell = opening.get(20, TimeUnit.SECONDS);

        shell.stdin().write("abc".getBytes(StandardCharsets.UTF_8));
        byte[] echoed = shell.stdout().readNBytes(3);
        shell.stdin().close();

        assertThat(action.command()).containsExactly("sh", "-c", "cat");
        assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("ABC");
        assertThat(shell.result().get(20, TimeUnit.SECONDS)).isEqualTo(ShellResult.SUCCESS);
    }

    @Test
    void errorsCarryCodeAndMessage() throws Exception {
        assertThatThrownBy(() -> client.guest("NoSuchGuest"))
                .isInstanceOfSatisfying(ControlException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.code()).isEqualTo(ControlErrorCode.GUEST_NOT_FOUND);
                    assertThat(e.getMessage()).contains("'NoSuchGuest'");
                });
        try (ControlClient wrongToken = ControlClient.connect(
                new ControlEndpoint.UnixSocket(temp.resolve("control.sock")), "wrong")) {
            assertThatThrownBy(wrongToken::guests)
                    .isInstanceOfSatisfying(ControlException.class,
                            e -> assertThat(e.code()).isEqualTo(ControlErrorCode.UNAUTHORIZED));
        }
    }

    @Test
    void missingDaemonIsReported() throws Exception {
        try (ControlClient nowhere = ControlClient.connect(
                new ControlEndpoint.UnixSocket(temp.resolve("no-daemon.sock")), null)) {
            assertThatThrownBy(nowhere::guests)
                    .isInstanceOfSatisfying(ControlException.class, e -> {
                        assertThat(e.status()).isZero();
                        assertThat(e.getMessage()).contains("cannot reach the daemon's control API")
                                .contains("check that metaservice serve is running");
                    });
        }
    }

    /** A call that may throw, for {@link CompletableFuture#supplyAsync}. */
    interface Call<T> {
        T run() throws Exception;
    }

    private static <T> T call(Call<T> call) {
        try {
            return call.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
