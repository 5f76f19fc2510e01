package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's protocol extensions, the {@code TooManyRequests} and {@code Forbidden} error
 * codes, keep a guest of the original protocol working. Such a guest never triggers them,
 * and can still decode them.
 */
class ProtocolExtensionsTest {

    /** The error codes of the original protocol, the only ones an unextended guest decodes. */
    enum OriginalErrorCode {
        MethodNotAllowed, NoSuchEndPoint, InternalError, ResourceConflict, UnknownActionId, InvalidPayload
    }

    /** An error body as an unextended guest decodes it. */
    record OriginalErrorBody(OriginalErrorCode code, String message) {
    }

    @TempDir
    Path temp;
    DaemonFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new DaemonFixture(temp, builder -> builder.limits(DaemonFixture.shortLimits().maxParkedPolls(1).build()));
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void originalGuestSequenceWorksUnchanged() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.unixRoute());
        var kill = fixture.sendAsync("POST", "/v1/guests/" + guest.id() + "/kill");

        assertThat(guest.execute().command()).containsExactly("echo", "a");
        assertThat(guest.log("output\n").status()).isEqualTo(200);
        var action = guest.pollForAction();
        assertThat(guest.reply(action.id(), new byte[0]).status()).isEqualTo(200);
        assertThat(guest.report(true).status()).isEqualTo(200);
        assertThat(guest.request("GET", "/engine/v1/ping").status()).isEqualTo(200);
        assertThat(kill.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void originalGuestDecodesExtensionCodes() throws Exception {
        TestGuest guest = fixture.guest("a", DaemonFixture.portRoute());
        GuestConnection parked = guest.connect();
        parked.send("GET", "/engine/v1/poll", new byte[0]);
        Guest daemonGuest = fixture.daemon.guest(guest.id());
        DaemonFixture.await("one parked poll", () -> daemonGuest.service().parkedPolls() == 1);

        GuestConnection.Reply tooMany = guest.request("GET", "/engine/v1/poll");
        GuestConnection.Reply forbidden = guest.request("PUT", "/engine/v1/success", new byte[0], "Via: 1.1 proxy");
        OriginalErrorBody tooManyBody = Json.MAPPER.readValue(tooMany.body(), OriginalErrorBody.class);
        OriginalErrorBody forbiddenBody = Json.MAPPER.readValue(forbidden.body(), OriginalErrorBody.class);
        parked.close();

        assertThat(tooMany.status()).isEqualTo(429);
        assertThat(new String(tooMany.body(), StandardCharsets.UTF_8)).contains("\"code\":\"TooManyRequests\"");
        assertThat(tooManyBody.code()).isNull();
        assertThat(tooManyBody.message()).contains("polls waiting");
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbiddenBody.code()).isNull();
        assertThat(forbiddenBody.message()).contains("Via");
    }
}
