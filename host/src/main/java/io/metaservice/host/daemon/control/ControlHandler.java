package io.metaservice.host.daemon.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.ResourceNotFoundException;
import io.metaservice.host.daemon.ControlEndpoint;
import io.metaservice.host.daemon.ControlErrorCode;
import io.metaservice.host.daemon.Daemon;
import io.metaservice.host.daemon.DaemonConfig;
import io.metaservice.host.daemon.DaemonException;
import io.metaservice.host.daemon.Guest;
import io.metaservice.host.daemon.GuestLimits;
import io.metaservice.host.daemon.GuestSpec;
import io.metaservice.host.internal.Responses;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes control API requests: checks the bearer token, parses the path and parameters,
 * and responds with JSON bodies, streams or a shell websocket. Every error is a
 * {@link ControlBodies.ControlError} with the status of its {@link ControlErrorCode}.
 *
 * <p>Requests that wait on a guest (host operations, downloads, shell set-up) block a thread
 * of the control pool while they run; result waits and log streams hold none.
 */
final class ControlHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ControlHandler.class);

    private final Daemon daemon;
    private final DaemonConfig config;
    /** The expected {@code Authorization} header, or null when no token is configured. */
    private final byte[] expectedAuthorization;
    private final GuestOperations operations;

    ControlHandler(Daemon daemon, DaemonConfig config) {
        this.daemon = daemon;
        this.config = config;
        this.expectedAuthorization = config.bearerToken() == null ? null
                : ("Bearer " + config.bearerToken()).getBytes(StandardCharsets.UTF_8);
        this.operations = new GuestOperations(config.limits());
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        try {
            authorize(request, response);
            route(request, response, callback);
        } catch (DaemonException e) {
            LOG.debug("control {} {} failed: {}", request.getMethod(), request.getHttpURI().getPath(), e.getMessage());
            error(response, callback, e.code(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(response, callback, ControlErrorCode.INTERNAL_ERROR, "the daemon is shutting down");
        } catch (RuntimeException e) {
            LOG.warn("control {} {} failed", request.getMethod(), request.getHttpURI().getPath(), e);
            error(response, callback, ControlErrorCode.INTERNAL_ERROR, "internal error: " + e);
        }
        return true;
    }

    /** Writes an error body, unless the response has already started. */
    static void error(Response response, Callback callback, ControlErrorCode code, String message) {
        if (response.isCommitted()) {
            callback.failed(new IllegalStateException(message));
            return;
        }
        Responses.json(response, callback, code.status(), new ControlBodies.ControlError(code, message));
    }

    /** Checks the bearer token; a 401 names the scheme in {@code WWW-Authenticate}, as HTTP requires. */
    private void authorize(Request request, Response response) throws DaemonException {
        if (expectedAuthorization == null) {
            return;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] sent = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(sent, expectedAuthorization)) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"metaservice\"");
            throw new DaemonException(ControlErrorCode.UNAUTHORIZED, header == null
                    ? "this daemon requires a bearer token: send 'Authorization: Bearer TOKEN'"
                    : "the bearer token is wrong; use the token that the daemon was started with");
        }
    }

    private void route(Request request, Response response, Callback callback)
            throws DaemonException, InterruptedException {
        String path = request.getHttpURI().getPath();
        path = path == null ? "" : path;
        if (path.equals(ControlApi.DAEMON_PATH)) {
            requireMethod(request, response, HttpMethod.GET);
            Responses.json(response, callback, 200, daemonInfo());
            return;
        }
        if (path.equals(ControlApi.GUESTS_PATH)) {
            if (HttpMethod.POST.is(request.getMethod())) {
                createGuest(request, response, callback);
                return;
            }
            if (!HttpMethod.GET.is(request.getMethod())) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, POST");
                throw new DaemonException(ControlErrorCode.METHOD_NOT_ALLOWED, "method "
                        + Responses.quote(request.getMethod()) + " is not allowed on " + path
                        + "; use GET to list the guests or POST to create one");
            }
            List<ControlBodies.GuestInfo> guests = new ArrayList<>();
            for (Guest guest : daemon.guests()) {
                guests.add(ControlBodies.GuestInfo.of(guest));
            }
            Responses.json(response, callback, 200, new ControlBodies.GuestList(guests));
            return;
        }
        String prefix = ControlApi.GUESTS_PATH + "/";
        if (!path.startsWith(prefix)) {
            throw noSuchEndPoint(path);
        }
        String[] parts = path.substring(prefix.length()).split("/", -1);
        if (parts.length > 2 || parts[0].isEmpty()) {
            throw noSuchEndPoint(path);
        }
        Guest guest = daemon.guest(parts[0]);
        String resource = parts.length == 2 ? parts[1] : null;
        guestResource(guest, resource, path, request, response, callback);
    }

    private void guestResource(Guest guest, String resource, String path, Request request,
            Response response, Callback callback) throws DaemonException, InterruptedException {
        if (resource == null) {
            requireMethod(request, response, HttpMethod.GET);
            Responses.json(response, callback, 200, ControlBodies.GuestInfo.of(guest));
            return;
        }
        Fields query = Request.extractQueryParameters(request);
        switch (resource) {
            case ControlApi.LOG -> {
                requireMethod(request, response, HttpMethod.GET);
                LogStreamer.start(guest, booleanParameter(query, ControlApi.FOLLOW_PARAMETER), request,
                        response, callback);
            }
            case ControlApi.RESULT -> {
                requireMethod(request, response, HttpMethod.GET);
                ResultWait.start(guest, waitParameter(query), response, callback);
            }
            case ControlApi.FILES -> {
                requireMethod(request, response, HttpMethod.GET);
                operations.listFolder(guest, pathParameter(query), response, callback);
            }
            case ControlApi.FILE -> {
                requireMethod(request, response, HttpMethod.GET);
                operations.downloadFile(guest, pathParameter(query), request, response, callback);
            }
            case ControlApi.ARCHIVE -> {
                requireMethod(request, response, HttpMethod.GET);
                operations.downloadArchive(guest, pathParameter(query), request, response, callback);
            }
            case ControlApi.SHELL -> {
                requireMethod(request, response, HttpMethod.GET);
                operations.openShell(guest, query.getValues(ControlApi.COMMAND_PARAMETER),
                        booleanParameter(query, ControlApi.TTY_PARAMETER), request, response, callback);
            }
            case ControlApi.KILL -> {
                requireMethod(request, response, HttpMethod.POST);
                operations.kill(guest);
                Responses.json(response, callback, 200, ControlBodies.GuestInfo.of(guest));
            }
            case ControlApi.RELEASE -> {
                requireMethod(request, response, HttpMethod.POST);
                Guest released = daemon.release(guest.id());
                Responses.json(response, callback, 200, ControlBodies.GuestInfo.of(released));
            }
            default -> throw noSuchEndPoint(path);
        }
    }

    private void createGuest(Request request, Response response, Callback callback)
            throws DaemonException, InterruptedException {
        byte[] body = readBody(request);
        GuestSpec spec;
        try {
            spec = Json.MAPPER.readValue(body, GuestSpec.class);
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException invalid ? invalid : e;
            String message = cause == e ? e.getOriginalMessage() : cause.getMessage();
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "invalid guest: " + message);
        } catch (JsonProcessingException e) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST,
                    "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "the body cannot be read: " + e);
        }
        if (spec == null) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST,
                    "the body is null; send an object with command, env and route");
        }
        Guest guest = daemon.createGuest(spec);
        response.getHeaders().put(HttpHeader.LOCATION, ControlApi.guestPath(guest.id(), null));
        Responses.json(response, callback, 201, ControlBodies.GuestInfo.of(guest));
    }

    private static byte[] readBody(Request request) throws DaemonException, InterruptedException {
        long length = request.getLength();
        if (length > ControlApi.MAX_BODY_BYTES) {
            throw tooLarge(length);
        }
        try {
            return Content.Source.asByteArrayAsync(request, ControlApi.MAX_BODY_BYTES)
                    .get(ControlServer.IDLE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalArgumentException) {
                throw tooLarge(-1);
            }
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "the body cannot be read: " + e.getCause());
        } catch (TimeoutException e) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "the body did not arrive in time");
        }
    }

    private static DaemonException tooLarge(long length) {
        return new DaemonException(ControlErrorCode.INVALID_REQUEST, "the body "
                + (length < 0 ? "" : "of " + length + " bytes ") + "exceeds the maximum of "
                + ControlApi.MAX_BODY_BYTES + " bytes");
    }

    private ControlBodies.DaemonInfo daemonInfo() {
        ControlEndpoint control = daemon.controlEndpoint();
        InetSocketAddress listener = daemon.guestListenerAddress();
        GuestLimits limits = config.limits();
        Map<String, Long> figures = new LinkedHashMap<>();
        figures.put("maxGuests", (long) config.maxGuests());
        figures.put("maxConnections", (long) limits.maxConnections());
        figures.put("maxParkedPolls", (long) limits.maxParkedPolls());
        figures.put("maxPendingActions", (long) limits.maxPendingActions());
        figures.put("maxShells", (long) limits.maxShells());
        figures.put("maxLogRequests", (long) limits.maxLogRequests());
        figures.put("maxRequestHeaderBytes", (long) limits.maxRequestHeaderBytes());
        figures.put("headerReadTimeoutMillis", limits.headerReadTimeout().toMillis());
        figures.put("idleTimeoutMillis", limits.idleTimeout().toMillis());
        figures.put("minReplyBytesPerSecond", limits.minReplyBytesPerSecond());
        figures.put("listFolderBodyLimit", (long) limits.listFolderBodyLimit());
        figures.put("maxArtifactBytes", limits.maxArtifactBytes());
        figures.put("maxTemporaryBytes", limits.maxTemporaryBytes());
        figures.put("maxLogBytes", limits.maxLogBytes());
        figures.put("maxShellMessageBytes", (long) limits.maxShellMessageBytes());
        figures.put("releasedRetentionMillis", config.releasedRetention().toMillis());
        return new ControlBodies.DaemonInfo(control.toString(),
                listener == null ? null : listener.getAddress().getHostAddress() + ":" + listener.getPort(),
                daemon.guests().size(), figures);
    }

    /** Throws {@code MethodNotAllowed}, and sets the {@code Allow} header, for another method. */
    private static void requireMethod(Request request, Response response, HttpMethod allowed)
            throws DaemonException {
        if (allowed.is(request.getMethod())) {
            return;
        }
        response.getHeaders().put(HttpHeader.ALLOW, allowed.asString());
        throw new DaemonException(ControlErrorCode.METHOD_NOT_ALLOWED, "method "
                + Responses.quote(request.getMethod()) + " is not allowed on "
                + Responses.quote(request.getHttpURI().getPath()) + "; this end-point only supports '"
                + allowed.asString() + "' requests");
    }

    private static DaemonException noSuchEndPoint(String path) {
        return new DaemonException(ControlErrorCode.NO_SUCH_END_POINT, "no control API end-point at "
                + Responses.quote(path) + "; the end-points are " + ControlApi.DAEMON_PATH + ", "
                + ControlApi.GUESTS_PATH + " and " + ControlApi.GUESTS_PATH + "/ID[/RESOURCE]");
    }

    private static boolean booleanParameter(Fields query, String name) throws DaemonException {
        String value = query.getValue(name);
        if (value == null || value.equals("false") || value.equals("0")) {
            return false;
        }
        if (value.equals("true") || value.equals("1") || value.isEmpty()) {
            return true;
        }
        throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "invalid " + name + " "
                + Responses.quote(value) + ": expected true or false");
    }

    private static String pathParameter(Fields query) throws DaemonException {
        String path = query.getValue(ControlApi.PATH_PARAMETER);
        if (path == null || path.isEmpty()) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST,
                    "the path parameter is missing; give the guest path as ?path=/some/path");
        }
        if (path.indexOf('\0') >= 0) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "the path contains NUL");
        }
        return path;
    }

    private static long waitParameter(Fields query) throws DaemonException {
        String value = query.getValue(ControlApi.TIMEOUT_PARAMETER);
        if (value == null) {
            return ControlApi.DEFAULT_RESULT_WAIT.toMillis();
        }
        long seconds;
        try {
            seconds = Long.parseLong(value);
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        long max = ControlApi.MAX_RESULT_WAIT.toSeconds();
        if (seconds < 0 || seconds > max) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "invalid timeout "
                    + Responses.quote(value) + ": expected whole seconds from 0 to " + max);
        }
        return TimeUnit.SECONDS.toMillis(seconds);
    }
}
