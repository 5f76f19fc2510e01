package io.metaservice.host.daemon.control;

import io.metaservice.host.Artifact;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.ResourceNotFoundException;
import io.metaservice.host.daemon.ControlErrorCode;
import io.metaservice.host.daemon.DaemonException;
import io.metaservice.host.daemon.Guest;
import io.metaservice.host.daemon.GuestLimits;
import io.metaservice.host.daemon.ListedPaths;
import io.metaservice.host.daemon.UnsafeListingException;
import io.metaservice.host.internal.Responses;
import io.metaservice.host.shell.HostShell;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control end-points that run host operations on a guest: list a folder, download a file
 * or a folder, open a shell, kill the task. Each blocks its control thread until the guest
 * replies, and turns a failed host operation into a control error that names the guest, the
 * path and the next step.
 */
final class GuestOperations {

    private static final Logger LOG = LoggerFactory.getLogger(GuestOperations.class);

    private final GuestLimits limits;

    GuestOperations(GuestLimits limits) {
        this.limits = limits;
    }

    void listFolder(Guest guest, String path, Response response, Callback callback)
            throws DaemonException, InterruptedException {
        requireActive(guest);
        List<String> files;
        try {
            files = guest.service().listFolder(path);
        } catch (HostOperationException e) {
            throw failure(guest, "list the folder " + Responses.quote(path), e);
        }
        Responses.json(response, callback, 200, new ControlBodies.FolderListing(path, files));
    }

    void downloadFile(Guest guest, String path, Request request, Response response, Callback callback)
            throws DaemonException, InterruptedException {
        requireActive(guest);
        liftIdleTimeout(request);
        Artifact artifact;
        try {
            artifact = guest.service().getArtifact(path);
        } catch (HostOperationException e) {
            throw failure(guest, "fetch the file " + Responses.quote(path), e);
        }
        try (artifact) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, artifact.size());
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                Files.copy(artifact.path(), out);
            }
            callback.succeeded();
        } catch (IOException e) {
            LOG.info("guest {}: download of {} failed: {}", guest.id(), Responses.quote(path), e.toString());
            callback.failed(e);
        }
    }

    /**
     * Lists the folder, checks every listed path, then streams the files as a tar archive. An
     * unsafe listing fails the request before anything is sent. A file that cannot be fetched
     * once the stream has started aborts the response, so the client sees a broken stream.
     */
    void downloadArchive(Guest guest, String folder, Request request, Response response, Callback callback)
            throws DaemonException, InterruptedException {
        requireActive(guest);
        if (!folder.startsWith("/")) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "the folder " + Responses.quote(folder)
                    + " is relative; give an absolute guest path for a folder download");
        }
        liftIdleTimeout(request);
        List<ListedPaths.Entry> entries;
        try {
            entries = ListedPaths.relativize(folder, guest.service().listFolder(folder));
        } catch (HostOperationException e) {
            throw failure(guest, "list the folder " + Responses.quote(folder), e);
        } catch (UnsafeListingException e) {
            LOG.warn("guest {}: {}", guest.id(), e.getMessage());
            throw new DaemonException(ControlErrorCode.UNSAFE_PATH, "guest " + guest.id() + ": "
                    + e.getMessage(), e);
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, ArchiveWriter.CONTENT_TYPE);
        // Not closed on failure: closing would end the response as if the archive were whole.
        ArchiveWriter archive = new ArchiveWriter(Content.Sink.asOutputStream(response));
        try {
            for (ListedPaths.Entry entry : entries) {
                try (Artifact artifact = guest.service().getArtifact(entry.guestPath())) {
                    archive.add(entry.relativeName(), artifact);
                }
            }
            archive.close();
        } catch (HostOperationException e) {
            LOG.warn("guest {}: archive of {} broke off: {}", guest.id(), Responses.quote(folder), e.getMessage());
            DaemonException failure = failure(guest, "fetch a file of the folder " + Responses.quote(folder), e);
            // Before the first byte is sent the client can still get an error body; afterwards
            // the client learns of the failure only from the broken stream.
            ControlHandler.error(response, callback, failure.code(), failure.getMessage());
            return;
        } catch (IOException e) {
            LOG.warn("guest {}: archive of {} broke off: {}", guest.id(), Responses.quote(folder), e.getMessage());
            callback.failed(e);
            return;
        }
        callback.succeeded();
        LOG.debug("guest {}: sent {} files of {} as an archive", guest.id(), entries.size(), Responses.quote(folder));
    }

    void openShell(Guest guest, List<String> command, boolean tty, Request request, Response response,
            Callback callback) throws DaemonException, InterruptedException {
        requireActive(guest);
        ServerWebSocketContainer container = ServerWebSocketContainer.get(request.getContext());
        if (container == null || !"websocket".equalsIgnoreCase(request.getHeaders().get(HttpHeader.UPGRADE))) {
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST,
                    "the shell end-point needs a websocket handshake (GET with Upgrade: websocket)");
        }
        if (guest.shells().size() >= limits.maxShells()) {
            throw tooManyShells(guest);
        }
        HostShell shell;
        try {
            shell = guest.service().execShell(command == null || command.isEmpty() ? null : command, tty);
        } catch (HostOperationException e) {
            throw failure(guest, "open a shell", e);
        }
        if (!guest.addShell(shell)) {
            shell.abort();
            throw tooManyShells(guest);
        }
        boolean upgraded;
        try {
            upgraded = container.upgrade((upgradeRequest, upgradeResponse, upgradeCallback) ->
                    new ShellRelay(guest.id(), shell, limits).listener(), request, response, callback);
        } catch (RuntimeException e) {
            shell.abort();
            throw e;
        }
        if (!upgraded) {
            shell.abort();
            throw new DaemonException(ControlErrorCode.INVALID_REQUEST, "the websocket handshake failed");
        }
    }

    void kill(Guest guest) throws DaemonException, InterruptedException {
        requireActive(guest);
        try {
            guest.service().killProcess();
        } catch (HostOperationException e) {
            throw failure(guest, "kill the task", e);
        }
    }

    private static void requireActive(Guest guest) throws DaemonException {
        if (guest.isReleased()) {
            throw released(guest);
        }
    }

    private static DaemonException released(Guest guest) {
        return new DaemonException(ControlErrorCode.GUEST_RELEASED, "guest " + guest.id()
                + " has been released, so it takes no more actions; create a new guest");
    }

    private DaemonException tooManyShells(Guest guest) {
        return new DaemonException(ControlErrorCode.LIMIT_EXCEEDED, "guest " + guest.id() + " already has "
                + limits.maxShells() + " shells open, the maximum; close one first");
    }

    /** Maps a failed host operation to a control error that names the next step. */
    private static DaemonException failure(Guest guest, String what, HostOperationException e) {
        if (guest.isReleased()) {
            return released(guest);
        }
        if (e instanceof ResourceNotFoundException) {
            return new DaemonException(ControlErrorCode.RESOURCE_NOT_FOUND, "guest " + guest.id()
                    + ": " + e.getMessage() + "; check the path", e);
        }
        if (e.isRetryable()) {
            return new DaemonException(ControlErrorCode.GUEST_UNAVAILABLE, "guest " + guest.id()
                    + " did not answer in time to " + what + ": " + e.getMessage()
                    + "; check that its agent is running and polling", e);
        }
        return new DaemonException(ControlErrorCode.GUEST_OPERATION_FAILED, "guest " + guest.id()
                + " could not " + what + ": " + e.getMessage(), e);
    }

    /** Lifts the idle time-out for a request that may wait long for the guest before it writes. */
    private static void liftIdleTimeout(Request request) {
        request.getConnectionMetaData().getConnection().getEndPoint().setIdleTimeout(0);
    }
}
