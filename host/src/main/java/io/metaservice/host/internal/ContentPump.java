package io.metaservice.host.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * Reads a request body chunk by chunk with Jetty's demand API, so no thread waits while the guest
 * is slow, and the host holds one chunk at a time. Each chunk goes to {@link Receiver#accept};
 * exactly one of {@link Receiver#complete}, {@link Receiver#stopped} or {@link Receiver#failed}
 * ends the pump.
 */
public final class ContentPump implements Runnable {

    /** Consumer of a request body. Calls come one at a time, never concurrently. */
    public interface Receiver {

        /**
         * Takes the bytes of one chunk; the buffer is valid only during the call. Returns false
         * to stop reading; the pump then calls {@link #stopped()}.
         */
        boolean accept(ByteBuffer bytes) throws IOException;

        /** The whole body was read. */
        void complete();

        /** {@link #accept} returned false or threw {@code error} (null when it returned false). */
        void stopped(IOException error);

        /** The body could not be read: the guest disconnected, or a time-out. */
        void failed(Throwable failure);
    }

    private final Request request;
    private final Receiver receiver;

    private ContentPump(Request request, Receiver receiver) {
        this.request = request;
        this.receiver = receiver;
    }

    /** Starts reading {@code request}'s body into {@code receiver}. */
    public static void start(Request request, Receiver receiver) {
        new ContentPump(request, receiver).run();
    }

    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                receiver.failed(chunk.getFailure());
                return;
            }
            boolean last = chunk.isLast();
            boolean keepReading;
            try {
                keepReading = !chunk.hasRemaining() || receiver.accept(chunk.getByteBuffer());
            } catch (IOException e) {
                chunk.release();
                receiver.stopped(e);
                return;
            }
            chunk.release();
            if (!keepReading) {
                receiver.stopped(null);
                return;
            }
            if (last) {
                receiver.complete();
                return;
            }
        }
    }
}
