package io.metaservice.guest;

import static io.metaservice.guest.TestTimeouts.TASK_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent against a host that returns a task that can never run. The host is a plain HTTP
 * server on a loopback port, because the real service cannot encode such a task.
 */
class InvalidTaskTest {

    @TempDir
    Path temp;

    private final AtomicInteger executeRequests = new AtomicInteger();
    private final CompletableFuture<String> log = new CompletableFuture<>();
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private final ExecutorService handlers = Executors.newFixedThreadPool(4);
    private HttpServer server;
    private String task;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        server.createContext(Protocol.EXECUTE_PATH, exchange -> {
            executeRequests.incrementAndGet();
            respond(exchange, 200, task);
        });
        server.createContext(Protocol.LOG_PATH, exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                log.complete(new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            respond(exchange, 200, "");
        });
        server.createContext(Protocol.FAILED_PATH, exchange -> {
            result.complete("failed");
            respond(exchange, 200, "");
        });
        server.createContext(Protocol.SUCCESS_PATH, exchange -> {
            result.complete("success");
            respond(exchange, 200, "");
        });
        // Failed polls make the agent pause for a second, so polling stays slow.
        server.createContext(Protocol.POLL_PATH, exchange -> respond(exchange, 503, ""));
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
        handlers.shutdownNow();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"env\":{},\"command\":[\"a\",null]}",
        "{\"env\":{\"A\":null},\"command\":[\"true\"]}",
        "{\"env\":{},\"command\":[\"a\\u0000b\"]}",
        "[\"not\",\"an\",\"object\"]"
    })
    void invalidTaskReportsFailure(String invalidTask) throws Exception {
        task = invalidTask;
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        GuestConfig config = GuestConfig.load(
                java.nio.file.Files.writeString(temp.resolve("guest.yaml"), "workdir: '" + temp + "'\n"));

        try (GuestAgent agent = new GuestAgent(base, config)) {
            CompletableFuture<Integer> status = CompletableFuture.supplyAsync(agent::runTask);

            assertThat(status).succeedsWithin(TASK_SECONDS, TimeUnit.SECONDS).isEqualTo(1);
        }
        assertThat(result).isCompletedWithValue("failed");
        assertThat(executeRequests.get()).isEqualTo(GuestAgent.INVALID_TASK_ATTEMPTS);
        assertThat(log).isDone();
        assertThat(log.get()).startsWith("[metaservice guest] the task cannot run: ");
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }
}
