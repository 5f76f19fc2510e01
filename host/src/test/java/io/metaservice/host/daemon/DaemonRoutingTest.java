package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Execute;
import io.metaservice.protocol.Json;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing and isolation. Two guests on each kind of route each see only their own command,
 * environment, log and actions. Unmapped sources, released guests and control paths are
 * turned away.
 */
class DaemonRoutingTest {

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

    /** Pairs of guests on the same kind of route, and on different kinds. */
    private List<TestGuest[]> guestPairs() throws Exception {
        return List.of(
                new TestGuest[] {fixture.subnetGuest("subnet-a", "127.0.0.2"),
                    fixture.subnetGuest("subnet-b", "127.0.0.3")},
                new TestGuest[] {fixture.guest("unix-a", DaemonFixture.unixRoute()),
                    fixture.guest("unix-b", DaemonFixture.unixRoute())},
                new TestGuest[] {fixture.guest("port-a", DaemonFixture.portRoute()),
                    fixture.guest("port-b", DaemonFixture.portRoute())});
    }

    @Test
    void eachGuestSeesOwnCommandAndEnvironment() throws Exception {
        for (TestGuest[] pair : guestPairs()) {
            for (TestGuest guest : pair) {
                Execute execute = guest.execute();
                String name = guest.info.command().get(1);

                assertThat(execute.command()).as(name).containsExactly("echo", name);
                assertThat(execute.env()).as(name).containsExactly(Map.entry("NAME", name));
            }
        }
    }

    @Test
    void eachGuestSeesOwnLog() throws Exception {
        List<TestGuest[]> pairs = guestPairs();
        for (TestGuest[] pair : pairs) {
            for (TestGuest guest : pair) {
                assertThat(guest.log("log of " + guest.info.command().get(1) + "\n").status()).isEqualTo(200);
            }
        }

        for (TestGuest[] pair : pairs) {
            for (TestGuest guest : pair) {
                HttpResponse<String> log = fixture.get("/v1/guests/" + guest.id() + "/log");
                assertThat(log.statusCode()).isEqualTo(200);
                assertThat(log.body()).isEqualTo("log of " + guest.info.command().get(1) + "\n");
            }
        }
    }

    @Test
    void actionsReachOnlyTheirGuest() throws Exception {
        TestGuest subnet = fixture.subnetGuest("a", "127.0.0.2");
        TestGuest unix = fixture.guest("b", DaemonFixture.unixRoute());
        TestGuest port = fixture.guest("c", DaemonFixture.portRoute());

        for (TestGuest target : List.of(subnet, unix, port)) {
            CompletableFuture<HttpResponse<String>> listing = fixture.http.sendAsync(
                    java.net.http.HttpRequest.newBuilder(fixture.control.resolve(
                            "/v1/guests/" + target.id() + "/files?path=/out")).build(),
                    HttpResponse.BodyHandlers.ofString());
            Action action = target.pollForAction();
            for (TestGuest other : List.of(subnet, unix, port)) {
                if (other != target) {
                    assertThat(other.poll().type()).as("poll of another guest").isEqualTo(ActionType.NONE);
                }
            }
            assertThat(target.replyListing(action.id(), "{\"files\":[\"/out/" + target.id() + "\"],\"notFound\":false}")
                    .status()).isEqualTo(200);

            HttpResponse<String> response = listing.get(20, TimeUnit.SECONDS);
            assertThat(action.type()).isEqualTo(ActionType.LIST_FOLDER);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(DaemonFixture.json(response).get("files").get(0).asText()).isEqualTo("/out/" + target.id());
        }
    }

    @Test
    void unmappedSourceGets403WithEmptyBody() throws Exception {
        fixture.subnetGuest("a", "127.0.0.2");

        try (GuestConnection connection = fixture.connectShared("127.0.0.4")) {
            GuestConnection.Reply reply = connection.request("GET", "/engine/v1/execute");

            assertThat(reply.status()).isEqualTo(403);
            assertThat(reply.body()).isEmpty();
        }
    }

    @Test
    void forwardingHeaderCannotForgeSource() throws Exception {
        fixture.subnetGuest("a", "127.0.0.2");

        try (GuestConnection connection = fixture.connectShared("127.0.0.4")) {
            GuestConnection.Reply reply = connection.request("GET", "/engine/v1/execute", new byte[0],
                    "X-Forwarded-For: 127.0.0.2", "Forwarded: for=127.0.0.2");

            assertThat(reply.status()).isEqualTo(403);
        }
    }

    @Test
    void releasedGuestGets404AndOthersWork() throws Exception {
        for (TestGuest[] pair : guestPairs()) {
            TestGuest released = pair[0];
            TestGuest other = pair[1];

            HttpResponse<String> release = fixture.post("/v1/guests/" + released.id() + "/release");
            GuestConnection.Reply reply = released.request("GET", "/engine/v1/execute");

            assertThat(release.statusCode()).isEqualTo(200);
            assertThat(DaemonFixture.json(release).get("state").asText()).isEqualTo("released");
            assertThat(reply.status()).isEqualTo(404);
            assertThat(Json.MAPPER.readTree(reply.body()).get("code").asText()).isEqualTo("NoSuchEndPoint");
            assertThat(other.execute().command()).containsExactly("echo", other.info.command().get(1));
        }
    }

    @Test
    void controlPathsFromGuestGet404() throws Exception {
        TestGuest subnet = fixture.subnetGuest("a", "127.0.0.2");
        TestGuest unix = fixture.guest("b", DaemonFixture.unixRoute());
        TestGuest port = fixture.guest("c", DaemonFixture.portRoute());
        List<String> controlPaths = List.of("/v1/daemon", "/v1/guests", "/v1/guests/" + unix.id(),
                "/v1/guests/" + unix.id() + "/file?path=/etc/passwd", "/v1/guests/" + subnet.id() + "/release",
                "/engine/v1/../../v1/guests");

        for (TestGuest guest : List.of(subnet, unix, port)) {
            for (String path : controlPaths) {
                for (String method : List.of("GET", "POST")) {
                    GuestConnection.Reply reply = guest.request(method, path);

                    assertThat(reply.status()).as(method + " " + path).isIn(400, 404);
                }
            }
        }
        assertThat(fixture.daemon.guest(subnet.id()).isReleased()).isFalse();
    }

    @Test
    void ownConnectorWinsOverSubnet() throws Exception {
        TestGuest wide = fixture.guest("wide", DaemonFixture.subnetRoute("127.0.0.0/8"));
        TestGuest port = fixture.guest("port", DaemonFixture.portRoute());

        Execute execute = port.execute();

        assertThat(execute.command()).containsExactly("echo", "port");
        assertThat(wide.info.attachment().subnet()).isEqualTo("127.0.0.0/8");
    }

    @Test
    void removalClosesRouteAndDeletesFiles() throws Exception {
        TestGuest unix = fixture.guest("b", DaemonFixture.unixRoute());
        TestGuest port = fixture.guest("c", DaemonFixture.portRoute());
        unix.log("some log\n");
        Path socket = Path.of(unix.info.attachment().socket());
        Path guestFolder = temp.resolve("state").resolve("guests").resolve(unix.id());
        assertThat(socket).exists();
        assertThat(guestFolder.resolve("log")).exists();

        Guest unixGuest = fixture.daemon.guest(unix.id());
        Guest portGuest = fixture.daemon.guest(port.id());
        fixture.daemon.release(unix.id());
        fixture.daemon.release(port.id());
        // Removal happens after the retention; a test daemon removes at close.
        fixture.close();

        assertThat(unixGuest.removed()).isDone();
        assertThat(portGuest.removed()).isDone();
        assertThat(socket).doesNotExist();
        assertThat(guestFolder).doesNotExist();
        assertThat(Files.exists(temp.resolve("state").resolve("guests"))).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(port::connect).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void guestInfoListsEnvironmentNamesOnly() throws Exception {
        fixture.create(DaemonFixture.portRoute(), List.of("true"), Map.of("SECRET", "hunter2", "A", "b"));

        HttpResponse<String> list = fixture.get("/v1/guests");
        JsonNode guest = DaemonFixture.json(list).get("guests").get(0);

        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).doesNotContain("hunter2");
        assertThat(guest.get("envNames").toString()).isEqualTo("[\"A\",\"SECRET\"]");
        assertThat(guest.get("state").asText()).isEqualTo("waiting");
    }
}
