package io.metaservice.guest.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.Execute;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The agent's HTTP client for the guest API of one meta-data service. Every request uses
 * HTTP/1.1, which is all the original service speaks, and every response body is read up to
 * a fixed maximum.
 *
 * <p>Thread-safe: it has no mutable state, and {@link HttpClient} is thread-safe. Blocking
 * calls cancel their request when the calling thread is interrupted.
 */
public final class GuestClient {

    /** The largest {@code GET /engine/v1/execute} body read: the command and environment. */
    static final int MAX_EXECUTE_BODY_BYTES = 16 * 1024 * 1024;
    /** The largest action read from {@code GET /engine/v1/poll}. */
    static final int MAX_ACTION_BODY_BYTES = 1024 * 1024;
    /** The largest body read from the other end-points, which send empty or error bodies. */
    static final int MAX_OTHER_BODY_BYTES = 64 * 1024;

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Time-out of short requests: execute, result reports and small replies. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final HttpClient http;

    /**
     * Creates a client for the service at {@code base}, such as {@code http://127.0.0.1:8080/}.
     * Only the scheme, host and port of {@code base} are used.
     */
    public GuestClient(URI base) {
        this.base = checkBase(base);
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Returns the service's base URI. */
    public URI base() {
        return base;
    }

    /**
     * Fetches the task's command and environment with one {@code GET /engine/v1/execute}.
     *
     * @throws InvalidTaskException when the host returned a body that is not a valid task
     * @throws IOException when the request failed or the host returned an error status
     */
    public Execute fetchExecute() throws IOException, InterruptedException {
        HttpRequest request = request(Protocol.EXECUTE_PATH).timeout(REQUEST_TIMEOUT).GET().build();
        HostResponse response = send(request, MAX_EXECUTE_BODY_BYTES);
        response.requireOk("GET " + Protocol.EXECUTE_PATH);
        Execute execute;
        try {
            execute = Json.MAPPER.readValue(response.body(), Execute.class);
        } catch (JsonProcessingException e) {
            // The Execute record rejects null entries, so they fail here as well.
            throw new InvalidTaskException("GET " + Protocol.EXECUTE_PATH + " returned an invalid"
                    + " task: " + e.getOriginalMessage(), e);
        }
        checkExecute(execute);
        return execute;
    }

    /**
     * Waits for the next action with one {@code GET /engine/v1/poll}, bounded by
     * {@link Protocol#GUEST_POLL_CLIENT_TIMEOUT}.
     */
    public Action poll() throws IOException, InterruptedException {
        HttpRequest request = request(Protocol.POLL_PATH)
                .timeout(Protocol.GUEST_POLL_CLIENT_TIMEOUT)
                .GET()
                .build();
        HostResponse response = send(request, MAX_ACTION_BODY_BYTES);
        response.requireOk("GET " + Protocol.POLL_PATH);
        Action action = Json.MAPPER.readValue(response.body(), Action.class);
        if (action == null || action.id() == null || action.id().isEmpty()) {
            throw new IOException("GET " + Protocol.POLL_PATH + " returned an action without id");
        }
        return action;
    }

    /** Reports the task's result with {@code PUT /engine/v1/success} or {@code /failed}. */
    public HostResponse putResult(boolean success) throws IOException, InterruptedException {
        String path = success ? Protocol.SUCCESS_PATH : Protocol.FAILED_PATH;
        HttpRequest request = request(path)
                .timeout(REQUEST_TIMEOUT)
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build();
        return send(request, MAX_OTHER_BODY_BYTES);
    }

    /**
     * Starts {@code POST /engine/v1/log} with the bytes of {@code body}, read on a thread of
     * its own, and returns the response future. The request has no time-out, because the
     * body lasts as long as the task.
     */
    public CompletableFuture<HostResponse> postLog(InputStream body) {
        HttpRequest request = request(Protocol.LOG_PATH)
                .header("Content-Type", "application/octet-stream")
                .POST(new InputStreamPublisher(() -> body, "metaservice-guest-log-upload"))
                .build();
        return http.sendAsync(request, BoundedBodySubscriber.handler(MAX_OTHER_BODY_BYTES))
                .thenApply(response -> new HostResponse(response.statusCode(), response.body()));
    }

    /**
     * Sends the reply to action {@code actionId} with {@code POST /engine/v1/reply?id=ID}.
     * {@code timeout} may be {@code null} for a body, such as a file, whose length has no bound.
     */
    public HostResponse reply(String actionId, BodyPublisher body, Map<String, String> headers,
            Duration timeout) throws IOException, InterruptedException {
        String query = Protocol.REPLY_ID_PARAMETER + "="
                + URLEncoder.encode(actionId, StandardCharsets.UTF_8);
        HttpRequest.Builder builder = HttpRequest.newBuilder(
                base.resolve(Protocol.REPLY_PATH + "?" + query));
        headers.forEach(builder::header);
        if (timeout != null) {
            builder.timeout(timeout);
        }
        return send(builder.POST(body).build(), MAX_OTHER_BODY_BYTES);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path));
    }

    /**
     * Sends a request and waits for the whole bounded response. Unlike
     * {@link HttpClient#send}, it cancels the request when the thread is interrupted on every
     * JDK version.
     */
    private HostResponse send(HttpRequest request, int maxBodyBytes)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<byte[]>> exchange =
                http.sendAsync(request, BoundedBodySubscriber.handler(maxBodyBytes));
        try {
            HttpResponse<byte[]> response = exchange.get();
            return new HostResponse(response.statusCode(), response.body());
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw asIoException(request, e.getCause());
        } catch (CancellationException e) {
            throw new IOException(
                    request.method() + " " + request.uri().getPath() + " was cancelled", e);
        }
    }

    private static IOException asIoException(HttpRequest request, Throwable cause) {
        if (cause instanceof IOException) {
            return (IOException) cause;
        }
        return new IOException(request.method() + " " + request.uri().getPath() + " failed: "
                + cause, cause);
    }

    private static URI checkBase(URI base) {
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") || base.getHost() == null) {
            throw new IllegalArgumentException(
                    "service address must be http://HOST[:PORT]/, got " + base);
        }
        return URI.create("http://" + base.getRawAuthority() + "/");
    }

    private static void checkExecute(Execute execute) throws InvalidTaskException {
        if (execute == null) {
            throw new InvalidTaskException("GET " + Protocol.EXECUTE_PATH + " returned null");
        }
        for (String argument : execute.command()) {
            if (argument == null || argument.indexOf('\0') >= 0) {
                throw new InvalidTaskException("the task's command contains a null or NUL argument");
            }
        }
        for (Map.Entry<String, String> variable : execute.env().entrySet()) {
            String name = variable.getKey();
            String value = variable.getValue();
            if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0
                    || value == null || value.indexOf('\0') >= 0) {
                throw new InvalidTaskException("the task's environment contains an invalid variable");
            }
        }
    }
}
