package io.metaservice.host.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.ResourceNotFoundException;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.Files;
import io.metaservice.protocol.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives a list-folder reply: reads at most the body limit, parses it as {@link Files}. The
 * outcome is the list of paths, or a {@link ResourceNotFoundException} when the guest reports
 * {@code notFound}. An invalid payload gets {@code 400 InvalidPayload} and fails the action as
 * retryable, as the id is used up.
 */
public final class FolderListingReply implements ReplyHandler {

    private static final Logger LOG = LoggerFactory.getLogger(FolderListingReply.class);

    private final String guestId;
    private final String guestPath;
    private final int bodyLimit;

    public FolderListingReply(String guestId, String guestPath, int bodyLimit) {
        this.guestId = guestId;
        this.guestPath = guestPath;
        this.bodyLimit = bodyLimit;
    }

    @Override
    public void handle(PendingAction action, Request request, Response response, Callback callback) {
        if (!HttpMethod.POST.is(request.getMethod())) {
            Replies.wrongMethod(action, request, response, callback);
            return;
        }
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (!Protocol.JSON_CONTENT_TYPE.equals(contentType)) {
            invalid(action, response, callback, "Content-Type must be exactly '"
                    + Protocol.JSON_CONTENT_TYPE + "', got " + Responses.quote(contentType));
            return;
        }
        ContentPump.start(request, new ContentPump.Receiver() {
            private final ByteArrayOutputStream body = new ByteArrayOutputStream();

            @Override
            public boolean accept(ByteBuffer bytes) {
                int take = Math.min(bytes.remaining(), bodyLimit - body.size());
                byte[] copy = new byte[take];
                bytes.get(copy);
                body.write(copy, 0, take);
                return body.size() < bodyLimit;
            }

            @Override
            public void complete() {
                parse(action, response, callback, body.toByteArray());
            }

            @Override
            public void stopped(IOException error) {
                // The limit was reached: parse what was read, as the protocol reads only that much.
                parse(action, response, callback, body.toByteArray());
            }

            @Override
            public void failed(Throwable failure) {
                LOG.info("guest {}: list-folder reply {} broke off: {}", guestId, action.id(), failure.toString());
                callback.failed(failure);
                action.outcome().completeExceptionally(new HostOperationException(
                        "list-folder reply for " + guestPath + " broke off: " + failure, true, failure));
            }
        });
    }

    private void parse(PendingAction action, Response response, Callback callback, byte[] body) {
        Files files;
        try {
            files = FilesDecoder.decode(body);
        } catch (FilesDecoder.InvalidFilesException e) {
            invalid(action, response, callback, "invalid Files payload: " + e.getMessage());
            return;
        } catch (IOException e) {
            invalid(action, response, callback, "invalid JSON payload in the first " + body.length
                    + " bytes (the host reads at most " + bodyLimit + "): " + describe(e));
            return;
        }
        Responses.ok(response, callback);
        if (files.truncated()) {
            LOG.warn("guest {}: list-folder reply {} for {} is truncated: {} paths", guestId, action.id(),
                    guestPath, files.files() == null ? 0 : files.files().size());
            action.outcome().completeExceptionally(new HostOperationException("the listing of folder "
                    + Responses.quote(guestPath) + " is incomplete: the guest left files out to stay within "
                    + bodyLimit + " bytes of JSON; list its sub-folders instead", false));
        } else if (files.notFound()) {
            action.outcome().completeExceptionally(new ResourceNotFoundException(
                    guestPath, "folder " + Responses.quote(guestPath) + " was not found in the guest"));
        } else {
            List<String> paths = files.files() == null ? List.of() : files.files();
            action.outcome().complete(paths);
        }
    }

    private static String describe(IOException e) {
        String message = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
        return Responses.quote(message);
    }

    private void invalid(PendingAction action, Response response, Callback callback, String message) {
        LOG.info("guest {}: list-folder reply {} rejected: {}", guestId, action.id(), message);
        Responses.error(response, callback, 400, ErrorCode.INVALID_PAYLOAD, message);
        action.outcome().completeExceptionally(new HostOperationException(
                "invalid list-folder reply for " + guestPath + ": " + message, true));
    }
}
