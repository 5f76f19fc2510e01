package io.metaservice.host.daemon;

import io.metaservice.host.daemon.control.ControlBodies;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Execute;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The guest side of one daemon guest, played by hand: opens connections on the guest's route
 * and sends protocol requests over them.
 */
final class TestGuest {

    final DaemonFixture fixture;
    final ControlBodies.GuestInfo info;
    /** The source address of a subnet route's connections; null for other routes. */
    final InetAddress source;

    TestGuest(DaemonFixture fixture, ControlBodies.GuestInfo info, InetAddress source) {
        this.fixture = fixture;
        this.info = info;
        this.source = source;
    }

    String id() {
        return info.id();
    }

    /** Opens a new connection on the guest's route. */
    GuestConnection connect() throws IOException {
        Attachment attachment = info.attachment();
        if (attachment.socket() != null) {
            return GuestConnection.unix(Path.of(attachment.socket()));
        }
        if (attachment.port() != null) {
            return GuestConnection.tcp(new InetSocketAddress(InetAddress.getByName(attachment.host()),
                    attachment.port()), null);
        }
        return GuestConnection.tcp(fixture.daemon.guestListenerAddress(), source);
    }

    /** Sends one request on a new connection. */
    GuestConnection.Reply request(String method, String path, byte[] body, String... headers) throws IOException {
        try (GuestConnection connection = connect()) {
            return connection.request(method, path, body, headers);
        }
    }

    GuestConnection.Reply request(String method, String path) throws IOException {
        return request(method, path, new byte[0]);
    }

    Execute execute() throws IOException {
        GuestConnection.Reply reply = request("GET", "/engine/v1/execute");
        if (reply.status() != 200) {
            throw new AssertionError("execute returned " + reply.status() + ": " + reply.text());
        }
        return Json.MAPPER.readValue(reply.body(), Execute.class);
    }

    Action poll() throws IOException {
        GuestConnection.Reply reply = request("GET", "/engine/v1/poll");
        if (reply.status() != 200) {
            throw new AssertionError("poll returned " + reply.status() + ": " + reply.text());
        }
        return Json.MAPPER.readValue(reply.body(), Action.class);
    }

    /** Polls until an action other than {@code none} arrives. */
    Action pollForAction() throws IOException {
        long deadline = System.nanoTime() + DaemonFixture.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Action action = poll();
            if (action.type() != ActionType.NONE) {
                return action;
            }
        }
        throw new AssertionError("no action arrived within " + DaemonFixture.WAIT);
    }

    GuestConnection.Reply reply(String actionId, byte[] body, String... headers) throws IOException {
        return request("POST", "/engine/v1/reply?id=" + actionId, body, headers);
    }

    GuestConnection.Reply replyListing(String actionId, String json) throws IOException {
        return reply(actionId, json.getBytes(StandardCharsets.UTF_8), "Content-Type: application/json");
    }

    GuestConnection.Reply log(String text) throws IOException {
        return request("POST", "/engine/v1/log", text.getBytes(StandardCharsets.UTF_8));
    }

    GuestConnection.Reply report(boolean success) throws IOException {
        return request("PUT", success ? "/engine/v1/success" : "/engine/v1/failed");
    }
}
