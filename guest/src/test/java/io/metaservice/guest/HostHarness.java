package io.metaservice.guest;

import static io.metaservice.guest.TestTimeouts.TASK_SECONDS;

import io.metaservice.host.GuestServer;
import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real host service on a loopback port for end-to-end tests. It stores the task log in
 * memory and lets a test wait for a text to appear in it.
 */
final class HostHarness implements AutoCloseable {

    private final Object lock = new Object();
    /** The task log received so far. Guarded by {@link #lock}. */
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    /** Waits for texts that have not appeared yet. Guarded by {@link #lock}. */
    private final List<LogWait> waits = new ArrayList<>();

    private final MetaService service;
    private final GuestServer server;

    private HostHarness(List<String> command, Map<String, String> env, Path temporaryDirectory)
            throws Exception {
        MetaServiceConfig config = MetaServiceConfig.builder()
                .command(command)
                .env(env)
                .logSink(this::append)
                .temporaryDirectory(temporaryDirectory)
                .build();
        this.service = new MetaService(config);
        this.server = GuestServer.start(service, "127.0.0.1", 0);
    }

    static HostHarness start(List<String> command, Map<String, String> env, Path temporaryDirectory)
            throws Exception {
        return new HostHarness(command, env, temporaryDirectory);
    }

    MetaService service() {
        return service;
    }

    URI baseUri() {
        return server.baseUri();
    }

    byte[] logBytes() {
        synchronized (lock) {
            return log.toByteArray();
        }
    }

    String logText() {
        return new String(logBytes(), StandardCharsets.UTF_8);
    }

    /** Waits until the log contains {@code text}. */
    void awaitLog(String text) throws Exception {
        CompletableFuture<Void> seen = new CompletableFuture<>();
        synchronized (lock) {
            if (logText().contains(text)) {
                return;
            }
            waits.add(new LogWait(text, seen));
        }
        seen.get(TASK_SECONDS, TimeUnit.SECONDS);
    }

    /** Waits for the result that the agent reports: true for success. */
    boolean awaitResult() throws Exception {
        return service.result().get(TASK_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
        service.stopPollers();
        try {
            server.close();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stopping the host server failed", e);
        }
    }

    private void append(ByteBuffer bytes) {
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        synchronized (lock) {
            log.write(copy, 0, copy.length);
            String text = logText();
            for (Iterator<LogWait> it = waits.iterator(); it.hasNext(); ) {
                LogWait wait = it.next();
                if (text.contains(wait.text())) {
                    wait.seen().complete(null);
                    it.remove();
                }
            }
        }
    }

    private record LogWait(String text, CompletableFuture<Void> seen) {
    }
}
