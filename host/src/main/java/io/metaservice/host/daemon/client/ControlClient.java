package io.metaservice.host.daemon.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.metaservice.host.daemon.ControlEndpoint;
import io.metaservice.host.daemon.GuestSpec;
import io.metaservice.host.daemon.control.ControlApi;
import io.metaservice.host.daemon.control.ControlBodies;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellTimeouts;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.websocket.client.JettyUpgradeListener;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * A Java client of the daemon's control API, over its Unix domain socket or loopback port.
 * Failed requests throw {@link ControlException} with the daemon's code and message.
 *
 * <p>Thread-safe: Jetty's clients are. Close it to stop their threads.
 */
public final class ControlClient implements AutoCloseable {

    /** Maximum wait for a JSON response that involves no guest. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Maximum silence on a request that waits for a guest: three attempts of a host operation,
     * each up to the delivery and reply-start time-outs, with room to spare.
     */
    private static final Duration OPERATION_IDLE_TIMEOUT = Duration.ofMinutes(10);

    private final HttpClient http;
    private final WebSocketClient websockets;
    private final URI base;
    /** The endpoint as the user gave it, for messages: {@code unix:PATH} or {@code HOST:PORT}. */
    private final String endpoint;
    private final String authorization;

    private ControlClient(HttpClient http, URI base, String endpoint, String bearerToken) throws Exception {
        this.http = http;
        this.base = base;
        this.endpoint = endpoint;
        this.authorization = bearerToken == null ? null : "Bearer " + bearerToken;
        this.websockets = new WebSocketClient(http);
        http.start();
        websockets.start();
    }

    /** Creates a client of the daemon at {@code endpoint}, with a bearer token or null. */
    public static ControlClient connect(ControlEndpoint endpoint, String bearerToken) throws ControlException {
        try {
            if (endpoint instanceof ControlEndpoint.UnixSocket unix) {
                return new ControlClient(new HttpClient(unixOnly(unix.path())), URI.create("http://localhost"),
                        endpoint.toString(), bearerToken);
            }
            return new ControlClient(new HttpClient(), URI.create("http://" + endpoint), endpoint.toString(),
                    bearerToken);
        } catch (Exception e) {
            throw new ControlException("cannot start the control client: " + e, e);
        }
    }

    public ControlBodies.DaemonInfo daemon() throws ControlException, InterruptedException {
        return json(newRequest(HttpMethod.GET, ControlApi.DAEMON_PATH), ControlBodies.DaemonInfo.class);
    }

    public List<ControlBodies.GuestInfo> guests() throws ControlException, InterruptedException {
        return json(newRequest(HttpMethod.GET, ControlApi.GUESTS_PATH), ControlBodies.GuestList.class).guests();
    }

    public ControlBodies.GuestInfo guest(String id) throws ControlException, InterruptedException {
        return json(newRequest(HttpMethod.GET, ControlApi.guestPath(id, null)), ControlBodies.GuestInfo.class);
    }

    public ControlBodies.GuestInfo create(GuestSpec spec) throws ControlException, InterruptedException {
        String body;
        try {
            body = Json.MAPPER.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode the guest: " + e.getOriginalMessage(), e);
        }
        Request request = newRequest(HttpMethod.POST, ControlApi.GUESTS_PATH)
                .body(new StringRequestContent("application/json", body));
        return json(request, ControlBodies.GuestInfo.class);
    }

    /**
     * Waits up to {@code wait}, at most {@link ControlApi#MAX_RESULT_WAIT}, for the guest's
     * result; the result is null when the wait ended first.
     */
    public ControlBodies.ResultInfo result(String id, Duration wait) throws ControlException, InterruptedException {
        Request request = newRequest(HttpMethod.GET, ControlApi.guestPath(id, ControlApi.RESULT)
                + "?" + ControlApi.TIMEOUT_PARAMETER + "=" + wait.toSeconds())
                .timeout(wait.plus(REQUEST_TIMEOUT).toMillis(), TimeUnit.MILLISECONDS);
        return json(request, ControlBodies.ResultInfo.class);
    }

    public ControlBodies.FolderListing listFolder(String id, String path) throws ControlException, InterruptedException {
        return json(operation(HttpMethod.GET, id, ControlApi.FILES, path), ControlBodies.FolderListing.class);
    }

    public ControlBodies.GuestInfo kill(String id) throws ControlException, InterruptedException {
        return json(operation(HttpMethod.POST, id, ControlApi.KILL, null), ControlBodies.GuestInfo.class);
    }

    public ControlBodies.GuestInfo release(String id) throws ControlException, InterruptedException {
        return json(newRequest(HttpMethod.POST, ControlApi.guestPath(id, ControlApi.RELEASE)),
                ControlBodies.GuestInfo.class);
    }

    /** Streams the guest's log; with {@code follow}, until the guest reports its result. */
    public InputStream log(String id, boolean follow) throws ControlException, InterruptedException {
        Request request = newRequest(HttpMethod.GET, ControlApi.guestPath(id, ControlApi.LOG)
                + "?" + ControlApi.FOLLOW_PARAMETER + "=" + follow);
        // A followed log may be quiet for as long as the task is.
        request.idleTimeout(follow ? 0 : OPERATION_IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return stream(request);
    }

    /** Streams one file of the guest. */
    public InputStream file(String id, String path) throws ControlException, InterruptedException {
        return stream(operation(HttpMethod.GET, id, ControlApi.FILE, path));
    }

    /** Streams a folder of the guest as a tar archive; a broken stream means a failed download. */
    public InputStream archive(String id, String path) throws ControlException, InterruptedException {
        return stream(operation(HttpMethod.GET, id, ControlApi.ARCHIVE, path));
    }

    /**
     * Opens a shell in the guest running {@code command}, or the guest's default shell when it
     * is empty, and returns the client's end: a {@link HostShell} whose streams, size and abort
     * reach the guest through the daemon.
     */
    public HostShell shell(String id, List<String> command, boolean tty) throws ControlException, InterruptedException {
        StringBuilder path = new StringBuilder(ControlApi.guestPath(id, ControlApi.SHELL))
                .append("?").append(ControlApi.TTY_PARAMETER).append("=").append(tty);
        for (String argument : command) {
            path.append("&").append(ControlApi.COMMAND_PARAMETER).append("=").append(encode(argument));
        }
        URI uri = URI.create("ws://" + base.getRawAuthority() + path);
        HostShell shell = new HostShell(id, "control", ShellTimeouts.DEFAULTS);
        JettyUpgradeListener upgrade = new JettyUpgradeListener() {
            @Override
            public void onHandshakeRequest(Request request) {
                if (authorization != null) {
                    request.headers(headers -> headers.put(HttpHeader.AUTHORIZATION, authorization));
                }
            }
        };
        try {
            // A short command may have run and closed the connection by now; the shell then
            // keeps its output and result.
            websockets.connect(shell.listener(), uri, upgrade).get(OPERATION_IDLE_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
            return shell;
        } catch (ExecutionException e) {
            throw new ControlException("cannot open a shell in guest " + id + ": " + describe(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new ControlException("opening a shell in guest " + id + " timed out", e);
        } catch (IOException e) {
            throw new ControlException("cannot open a shell in guest " + id + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            websockets.stop();
            http.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the control client failed", e);
        }
    }

    private Request newRequest(HttpMethod method, String pathAndQuery) {
        Request request = http.newRequest(base.resolve(pathAndQuery))
                .method(method)
                .timeout(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (authorization != null) {
            request.headers(headers -> headers.put(HttpHeader.AUTHORIZATION, authorization));
        }
        return request;
    }

    /** Creates a request for a host operation, which may wait long for the guest. */
    private Request operation(HttpMethod method, String id, String resource, String guestPath) {
        String query = guestPath == null ? "" : "?" + ControlApi.PATH_PARAMETER + "=" + encode(guestPath);
        Request request = newRequest(method, ControlApi.guestPath(id, resource) + query);
        request.timeout(0, TimeUnit.MILLISECONDS);
        request.idleTimeout(OPERATION_IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return request;
    }

    private <T> T json(Request request, Class<T> type) throws ControlException, InterruptedException {
        ContentResponse response;
        try {
            response = request.send();
        } catch (ExecutionException | TimeoutException e) {
            throw unreachable(e instanceof ExecutionException ? e.getCause() : e);
        }
        byte[] body = response.getContent();
        if (response.getStatus() / 100 != 2) {
            throw error(response.getStatus(), body);
        }
        try {
            return Json.MAPPER.readValue(body, type);
        } catch (IOException e) {
            throw new ControlException(response.getStatus(), null,
                    "the daemon sent an invalid response: " + e.getMessage());
        }
    }

    private InputStream stream(Request request) throws ControlException, InterruptedException {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        request.send(listener);
        Response response;
        try {
            response = listener.get(OPERATION_IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw unreachable(e instanceof ExecutionException ? e.getCause() : e);
        }
        InputStream body = listener.getInputStream();
        if (response.getStatus() / 100 != 2) {
            try (body) {
                throw error(response.getStatus(), body.readNBytes(ControlApi.MAX_BODY_BYTES));
            } catch (IOException e) {
                throw new ControlException(response.getStatus(), null, "the daemon responded with status "
                        + response.getStatus() + " and its body could not be read: " + e);
            }
        }
        return body;
    }

    private static ControlException error(int status, byte[] body) {
        try {
            ControlBodies.ControlError error = Json.MAPPER.readValue(body, ControlBodies.ControlError.class);
            if (error != null && error.message() != null) {
                return new ControlException(status, error.code(), error.message());
            }
        } catch (IOException ignored) {
            // Not an error body: described by the status below.
        }
        return new ControlException(status, null, "the daemon responded with status " + status);
    }

    private ControlException unreachable(Throwable cause) {
        return new ControlException("cannot reach the daemon's control API at " + endpoint
                + ": " + describe(cause) + "; check that metaservice serve is running and --control names its"
                + " socket or port", cause);
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Returns a transport that sends every request over the Unix socket, and fails instead of
     * falling back to TCP, whatever host and port a URI names.
     */
    private static HttpClientTransportOverHTTP unixOnly(Path socket) {
        Transport unix = new Transport.TCPUnix(socket);
        return new HttpClientTransportOverHTTP() {
            @Override
            public Origin newOrigin(Request request) {
                request.transport(unix);
                Origin origin = super.newOrigin(request);
                if (origin.getTransport() != unix) {
                    throw new IllegalStateException("the request would not go over " + socket);
                }
                return origin;
            }
        };
    }
}
