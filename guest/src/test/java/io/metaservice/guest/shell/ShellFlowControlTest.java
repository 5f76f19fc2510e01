package io.metaservice.guest.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.guest.GuestConfig;
import io.metaservice.guest.TestTimeouts;
import io.metaservice.host.GuestServer;
import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import io.metaservice.host.shell.HostShell;
import io.metaservice.host.shell.ShellResult;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.shell.ShellProtocol;
import io.metaservice.protocol.shell.ShellStream;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flow control measured end to end: a real host service on a loopback port, the guest's shell
 * launcher, and a process that writes far more than the window while the host reads slowly.
 */
class ShellFlowControlTest {

    /** Output of the process: 32 windows. */
    private static final int OUTPUT_BYTES = 32 * ShellProtocol.WINDOW_SIZE;
    /** The slow reader takes this many bytes at a time, then pauses. */
    private static final int READ_BYTES = 4096;
    private static final long READ_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    @TempDir
    Path temp;

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private MetaService service;
    private GuestServer server;
    private ShellLauncher launcher;

    @AfterEach
    void stop() throws Exception {
        if (launcher != null) {
            launcher.close();
        }
        if (service != null) {
            service.close();
        }
        if (server != null) {
            server.close();
        }
        threads.shutdownNow();
    }

    @Test
    void slowReaderKeepsBothEndsWithinWindow() throws Exception {
        service = new MetaService(MetaServiceConfig.builder()
                .command(List.of("true"))
                .env(Map.of())
                .logSink(bytes -> { })
                .temporaryDirectory(temp)
                .build());
        server = GuestServer.start(service, "127.0.0.1", 0);
        CompletableFuture<GuestShell> guestShell = new CompletableFuture<>();
        launcher = new ShellLauncher(server.baseUri(), GuestConfig.defaults(), temp, Map::of,
                GuestShellTimeouts.DEFAULTS, guestShell::complete);

        Future<HostShell> opening = threads.submit(() -> service.execShell(
                List.of("head", "-c", Integer.toString(OUTPUT_BYTES), "/dev/zero"), false));
        launcher.start(pollForAction());
        HostShell shell = opening.get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS);

        long maxBuffered = 0;
        long read = 0;
        byte[] buffer = new byte[READ_BYTES];
        InputStream stdout = shell.stdout();
        for (int count = stdout.read(buffer); count >= 0; count = stdout.read(buffer)) {
            read += count;
            maxBuffered = Math.max(maxBuffered, shell.bufferedOutputBytes());
            // The pause makes the reader slower than the process, so the window fills.
            LockSupport.parkNanos(READ_PAUSE_NANOS);
        }

        assertThat(read).isEqualTo(OUTPUT_BYTES);
        assertThat(shell.result().get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS))
                .isEqualTo(ShellResult.SUCCESS);
        long guestMax = guestShell.get(TestTimeouts.PROCESS_SECONDS, TimeUnit.SECONDS)
                .maxUnacknowledged(ShellStream.STDOUT);
        System.out.printf("flow control: %d bytes read; guest max unacknowledged %d, host max"
                + " buffered %d, window %d%n", read, guestMax, maxBuffered, ShellProtocol.WINDOW_SIZE);
        assertThat(guestMax).as("guest bytes sent and not acknowledged")
                .isEqualTo(ShellProtocol.WINDOW_SIZE);
        assertThat(maxBuffered).as("host bytes received and not read")
                .isPositive()
                .isLessThanOrEqualTo(ShellProtocol.WINDOW_SIZE);
    }

    private Action pollForAction() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestTimeouts.PROCESS_SECONDS);
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(server.baseUri().resolve("/engine/v1/poll"))
                            .timeout(Duration.ofSeconds(TestTimeouts.TASK_SECONDS)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Action action = Json.MAPPER.readValue(response.body(), Action.class);
            if (action.type() == ActionType.EXEC_SHELL) {
                return action;
            }
        }
        throw new AssertionError("no exec-shell action within " + TestTimeouts.PROCESS_SECONDS + " s");
    }
}
