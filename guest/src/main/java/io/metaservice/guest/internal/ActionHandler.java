package io.metaservice.guest.internal;

import io.metaservice.protocol.Action;
import io.metaservice.protocol.Files;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Carries out one host action and sends its reply to {@code POST /engine/v1/reply?id=ID}.
 * Relative action paths are resolved against the task's working folder.
 *
 * <ul>
 *   <li>{@code get-artifact}: streams the file as the body, or sends the file-not-found
 *       header with an empty body when the file is missing, unreadable or not a regular file.
 *   <li>{@code list-folder}: sends a {@link Files} listing from {@link FolderLister}.
 *   <li>{@code kill-process}: kills the task's process tree, then sends an empty body.
 * </ul>
 *
 * <p>Thread-safe: {@link #handle} runs on many action threads at once and shares only
 * thread-safe collaborators.
 */
public final class ActionHandler {

    private static final System.Logger LOG = System.getLogger(ActionHandler.class.getName());

    private static final String CONTENT_TYPE = "Content-Type";

    private final GuestClient client;
    private final Path workdir;
    private final TaskControl task;

    public ActionHandler(GuestClient client, Path workdir, TaskControl task) {
        this.client = client;
        this.workdir = workdir;
        this.task = task;
    }

    /**
     * Carries out {@code action} and sends its reply. Errors are logged, not thrown, because
     * the host retries an action whose reply never arrives.
     */
    public void handle(Action action) {
        LOG.log(System.Logger.Level.INFO, "Action {0} {1} started{2}", action.id(),
                action.type().wireName(), action.path().isEmpty() ? "" : ": " + action.path());
        try {
            HostResponse response;
            switch (action.type()) {
                case GET_ARTIFACT:
                    response = sendArtifact(action);
                    break;
                case LIST_FOLDER:
                    response = sendListing(action);
                    break;
                case KILL_PROCESS:
                    task.kill();
                    response = client.reply(action.id(), HttpRequest.BodyPublishers.noBody(),
                            Map.of(), GuestClient.REQUEST_TIMEOUT);
                    break;
                default:
                    throw new IllegalArgumentException("no reply for action type " + action.type());
            }
            if (response.isOk()) {
                LOG.log(System.Logger.Level.INFO, "Action {0} replied", action.id());
            } else {
                LOG.log(System.Logger.Level.WARNING, "Action {0}: the host rejected the reply"
                        + " with {1}", action.id(), response.describe());
            }
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.INFO, "Action {0} interrupted", action.id());
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Action " + action.id() + " failed", e);
        }
    }

    private HostResponse sendArtifact(Action action) throws IOException, InterruptedException {
        Path file = resolve(action.path());
        InputStream content = file == null ? null : open(file);
        if (content == null) {
            LOG.log(System.Logger.Level.INFO, "Action {0}: file not found: {1}", action.id(),
                    action.path());
            return client.reply(action.id(), HttpRequest.BodyPublishers.noBody(),
                    Map.of(Protocol.WORKER_ERROR_HEADER, Protocol.FILE_NOT_FOUND),
                    GuestClient.REQUEST_TIMEOUT);
        }
        // No time-out: the upload of a large file may take as long as it needs.
        try {
            return client.reply(action.id(), fileBody(file, content),
                    Map.of(CONTENT_TYPE, "application/octet-stream"), null);
        } finally {
            content.close();
        }
    }

    private HostResponse sendListing(Action action) throws IOException, InterruptedException {
        Path folder = resolve(action.path());
        Files listing = folder == null ? Files.folderNotFound() : FolderLister.list(folder);
        byte[] body = Json.MAPPER.writeValueAsBytes(listing);
        LOG.log(System.Logger.Level.DEBUG, "Action {0}: {1} files, notFound {2}", action.id(),
                listing.files() == null ? "0" : Integer.toString(listing.files().size()),
                listing.notFound());
        return client.reply(action.id(), HttpRequest.BodyPublishers.ofByteArray(body),
                Map.of(CONTENT_TYPE, Protocol.JSON_CONTENT_TYPE), null);
    }

    /** Returns the absolute path of an action path, or {@code null} if it is not a valid path. */
    private Path resolve(String path) {
        try {
            return workdir.resolve(path).toAbsolutePath();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Opens a regular file for reading, following links, or returns {@code null}. */
    private static InputStream open(Path file) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            return null;
        }
        try {
            return java.nio.file.Files.newInputStream(file);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /**
     * Streams the already opened file. The HTTP client asks again for a stream if it sends
     * the body again, and then gets the file opened anew.
     */
    private static BodyPublisher fileBody(Path file, InputStream opened) {
        AtomicReference<InputStream> first = new AtomicReference<>(opened);
        return new InputStreamPublisher(() -> {
            InputStream stream = first.getAndSet(null);
            if (stream != null) {
                return stream;
            }
            try {
                return java.nio.file.Files.newInputStream(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "metaservice-guest-artifact-upload");
    }
}
