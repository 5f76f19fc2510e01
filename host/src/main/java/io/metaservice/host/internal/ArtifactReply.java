package io.metaservice.host.internal;

import io.metaservice.host.Artifact;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.ResourceNotFoundException;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives a get-artifact reply: streams the body into a temporary file, one chunk at a time.
 * The outcome is an {@link Artifact}, a {@link ResourceNotFoundException}, or a
 * {@link HostOperationException}; on any failure the partial file is deleted. The bytes count
 * against the guest's {@link TemporaryBytes} until the upload fails or the artifact is closed.
 */
public final class ArtifactReply implements ReplyHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ArtifactReply.class);

    private final String guestId;
    private final String guestPath;
    private final Path temporaryDirectory;
    private final long maxBytes;
    private final Duration idleTimeout;
    private final TemporaryBytes budget;

    public ArtifactReply(String guestId, String guestPath, Path temporaryDirectory, long maxBytes,
            Duration idleTimeout, TemporaryBytes budget) {
        this.guestId = guestId;
        this.guestPath = guestPath;
        this.temporaryDirectory = temporaryDirectory;
        this.maxBytes = maxBytes;
        this.idleTimeout = idleTimeout;
        this.budget = budget;
    }

    @Override
    public void handle(PendingAction action, Request request, Response response, Callback callback) {
        if (!HttpMethod.POST.is(request.getMethod())) {
            Replies.wrongMethod(action, request, response, callback);
            return;
        }
        if (Protocol.FILE_NOT_FOUND.equals(request.getHeaders().get(Protocol.WORKER_ERROR_HEADER))) {
            Responses.ok(response, callback);
            action.outcome().completeExceptionally(new ResourceNotFoundException(
                    guestPath, "file " + Responses.quote(guestPath) + " was not found in the guest"));
            return;
        }

        Path file;
        FileChannel channel;
        try {
            Files.createDirectories(temporaryDirectory);
            file = Files.createTempFile(temporaryDirectory, "artifact-", ".part");
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
        } catch (IOException e) {
            LOG.warn("guest {}: cannot create a temporary file in {} for action {}: {}",
                    guestId, temporaryDirectory, action.id(), e.toString());
            Responses.error(response, callback, 500, ErrorCode.INTERNAL_ERROR,
                    "the host could not store the artifact");
            action.outcome().completeExceptionally(new HostOperationException(
                    "cannot create a temporary file in " + temporaryDirectory + ": " + e, true, e));
            return;
        }
        // The reply's own idle limit applies while its body streams; the connection's returns after.
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        long connectionIdleTimeout = endPoint.getIdleTimeout();
        endPoint.setIdleTimeout(idleTimeout.toMillis());
        Callback restoring = Callback.from(() -> {
            endPoint.setIdleTimeout(connectionIdleTimeout);
            callback.succeeded();
        }, failure -> {
            endPoint.setIdleTimeout(connectionIdleTimeout);
            callback.failed(failure);
        });
        ContentPump.start(request, new Receiver(action, response, restoring, file, channel));
    }

    private final class Receiver implements ContentPump.Receiver {
        private final PendingAction action;
        private final Response response;
        private final Callback callback;
        private final Path file;
        private final FileChannel channel;
        private long size;
        /** Bytes reserved in the budget for the partial file; returned by {@link #discard()}. */
        private long reserved;
        /** Set when the upload was stopped because the guest's temporary bytes ran out. */
        private boolean overBudget;

        Receiver(PendingAction action, Response response, Callback callback, Path file, FileChannel channel) {
            this.action = action;
            this.response = response;
            this.callback = callback;
            this.file = file;
            this.channel = channel;
        }

        @Override
        public boolean accept(ByteBuffer bytes) throws IOException {
            int length = bytes.remaining();
            if (length > maxBytes - size) {
                return false;
            }
            if (!budget.tryReserve(length)) {
                overBudget = true;
                return false;
            }
            size += length;
            reserved += length;
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            return true;
        }

        @Override
        public void complete() {
            try {
                channel.close();
            } catch (IOException e) {
                stopped(e);
                return;
            }
            Responses.ok(response, callback);
            LOG.debug("guest {}: action {} stored {} bytes of {}", guestId, action.id(), size, guestPath);
            long stored = reserved;
            reserved = 0;
            Artifact artifact = new Artifact(guestPath, file, size, () -> budget.release(stored));
            if (!action.outcome().complete(artifact)) {
                closeUnclaimed(artifact);
            }
        }

        @Override
        public void stopped(IOException error) {
            discard();
            if (error != null) {
                LOG.warn("guest {}: writing artifact {} for action {} failed: {}",
                        guestId, guestPath, action.id(), error.toString());
                Responses.error(response, callback, 500, ErrorCode.INTERNAL_ERROR,
                        "the host could not store the artifact");
                action.outcome().completeExceptionally(new HostOperationException(
                        "writing artifact " + guestPath + " to " + temporaryDirectory + " failed: " + error,
                        true, error));
                return;
            }
            if (overBudget) {
                LOG.warn("guest {}: artifact {} for action {} would exceed the {} temporary bytes"
                        + " allowed, upload stopped", guestId, guestPath, action.id(), budget.limit());
                Responses.error(response, callback, 413, ErrorCode.INVALID_PAYLOAD,
                        "the host's temporary storage for this guest is full");
                action.outcome().completeExceptionally(new HostOperationException(
                        "artifact " + guestPath + " would exceed the guest's limit of "
                                + budget.limit() + " temporary bytes (" + budget.used()
                                + " held by uploads and artifacts not yet closed); close artifacts"
                                + " or raise the temporary bytes limit", false));
                return;
            }
            LOG.warn("guest {}: artifact {} for action {} exceeds {} bytes, upload stopped",
                    guestId, guestPath, action.id(), maxBytes);
            Responses.error(response, callback, 413, ErrorCode.INVALID_PAYLOAD,
                    "artifact exceeds the host's limit of " + maxBytes + " bytes");
            action.outcome().completeExceptionally(new HostOperationException(
                    "artifact " + guestPath + " exceeds the limit of " + maxBytes
                            + " bytes; raise the artifact size limit to fetch it", false));
        }

        @Override
        public void failed(Throwable failure) {
            discard();
            LOG.info("guest {}: upload of {} for action {} broke off after {} bytes: {}",
                    guestId, guestPath, action.id(), size, failure.toString());
            callback.failed(failure);
            action.outcome().completeExceptionally(new HostOperationException(
                    "upload of " + guestPath + " broke off after " + size + " bytes: " + failure, true, failure));
        }

        private void closeUnclaimed(Artifact artifact) {
            try {
                artifact.close();
            } catch (IOException e) {
                LOG.warn("guest {}: cannot delete unclaimed artifact {}: {}", guestId, file, e.toString());
            }
        }

        private void discard() {
            budget.release(reserved);
            reserved = 0;
            try {
                channel.close();
            } catch (IOException ignored) {
                // The file is deleted next; a failed close loses nothing.
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("guest {}: cannot delete partial artifact {}: {}", guestId, file, e.toString());
            }
        }
    }
}
