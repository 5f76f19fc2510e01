package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaservice.guest.GuestAgent;
import io.metaservice.guest.GuestConfig;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code metaservice run --no-local-guest}: the command serves a guest that the test runs
 * itself, in this JVM, in a second JVM, or as raw HTTP requests.
 */
@Timeout(300)
class ExternalGuestTest {

    private static final Pattern SERVING =
            Pattern.compile("serving the guest API on (http://127\\.0\\.0\\.1:(\\d+)/|unix:\\S+);");

    @TempDir
    Path workdir;

    private final ExecutorService agentThreads = Executors.newSingleThreadExecutor(
            task -> new Thread(task, "test-guest-agent"));

    @AfterEach
    void stopAgentThreads() {
        agentThreads.shutdownNow();
    }

    @Test
    void externalAgentRunsTaskAndServesArtifacts() throws Exception {
        Path guestFolder = Files.createDirectory(workdir.resolve("guest"));
        Path config = workdir.resolve("guest.yaml");
        Files.writeString(config, "workdir: '" + guestFolder + "'\n");

        try (CliProcess cli = CliProcess.start(workdir, "run", "--no-local-guest",
                "--listen", "127.0.0.1:0", "--artifact", "external.txt", "--artifact", "out",
                "--", "sh", "-c", "echo external > external.txt; mkdir -p out/sub;"
                        + " echo nested > out/sub/f.txt")) {
            Matcher serving = cli.stderr().awaitMatch(SERVING, TestLimits.OUTPUT);
            assertThat(Integer.parseInt(serving.group(2))).as("port picked for --listen 127.0.0.1:0")
                    .isPositive();

            try (GuestAgent agent = new GuestAgent(URI.create(serving.group(1)), GuestConfig.load(config))) {
                CompletableFuture<Integer> status = CompletableFuture.supplyAsync(agent::runTask, agentThreads);
                int exitCode = cli.awaitExit(TestLimits.COMMAND);

                assertThat(status).succeedsWithin(TestLimits.OUTPUT).isEqualTo(0);
                cli.assertExitCode(0);
                assertThat(exitCode).isZero();
            }
        }
        assertThat(workdir.resolve("artifacts/external.txt")).hasContent("external");
        assertThat(workdir.resolve("artifacts/out/sub/f.txt")).hasContent("nested");
    }

    @Test
    void guestCommandServesExternalRun() throws Exception {
        Path guestFolder = Files.createDirectory(workdir.resolve("guest"));
        Path config = workdir.resolve("guest.yaml");
        Files.writeString(config, "workdir: '" + guestFolder + "'\nenv:\n  FROM_CONFIG: configured\n");

        try (CliProcess cli = CliProcess.start(workdir, "run", "--no-local-guest",
                "--listen", "127.0.0.1:0", "--artifact", "note.txt",
                "--", "sh", "-c", "echo \"$FROM_CONFIG\" > note.txt")) {
            int port = Integer.parseInt(cli.stderr().awaitMatch(SERVING, TestLimits.OUTPUT).group(2));

            try (CliProcess guest = CliProcess.start(workdir, "guest", "--host", "127.0.0.1:" + port,
                    "--config", config.toString())) {
                cli.awaitExit(TestLimits.COMMAND);
                cli.assertExitCode(0);
                assertThat(guest.stdout().text()).as("agent standard output").isEmpty();
                List<ProcessHandle> agentTree = guest.descendantsSeen();

                guest.terminate();
                assertThat(guest.awaitExit(TestLimits.COMMAND)).as("agent exit code after SIGTERM").isNotZero();
                for (ProcessHandle process : agentTree) {
                    assertThat(process.onExit()).succeedsWithin(TestLimits.PROCESS_EXIT);
                }
            }
        }
        assertThat(workdir.resolve("artifacts/note.txt")).hasContent("configured");
    }

    @Test
    void guestUnderCLocaleWarnsAboutFileNames() throws Exception {
        Path guestFolder = Files.createDirectory(workdir.resolve("guest"));
        Path config = workdir.resolve("guest.yaml");
        Files.writeString(config, "workdir: '" + guestFolder + "'\n");

        try (CliProcess cli = CliProcess.start(workdir, "run", "--no-local-guest",
                "--listen", "127.0.0.1:0", "--", "true")) {
            int port = Integer.parseInt(cli.stderr().awaitMatch(SERVING, TestLimits.OUTPUT).group(2));

            try (CliProcess guest = CliProcess.startWithEnvironment(Map.of("LANG", "C", "LC_ALL", "C"),
                    workdir, "guest", "--host", "127.0.0.1:" + port, "--config", config.toString())) {
                cli.awaitExit(TestLimits.COMMAND);
                cli.assertExitCode(0);

                assertThat(guest.stderr().awaitMatch(Pattern.compile(
                        "File names are decoded as \\S+, not UTF-8.*LC_ALL=C\\.UTF-8"), TestLimits.OUTPUT))
                        .isNotNull();
                guest.terminate();
                guest.awaitExit(TestLimits.COMMAND);
            }
        }
    }

    @Test
    void stdoutIsExactlyLogBytes() throws Exception {
        byte[] first = "first chunk: caf\u00e9 \u2713\n".getBytes(StandardCharsets.UTF_8);
        byte[] second = allByteValues();
        Path secondFile = Files.write(workdir.resolve("second.bin"), second);

        try (CliProcess cli = CliProcess.start(workdir, "run", "--no-local-guest",
                "--listen", "127.0.0.1:0", "--", "true")) {
            int port = Integer.parseInt(cli.stderr().awaitMatch(SERVING, TestLimits.OUTPUT).group(2));

            try (Socket log = new Socket(InetAddress.getLoopbackAddress(), port)) {
                OutputStream out = log.getOutputStream();
                out.write(("POST " + Protocol.LOG_PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                writeChunk(out, first);
                cli.stdout().awaitEndsWith(first, TestLimits.OUTPUT);
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(statusLine(log.getInputStream())).isEqualTo("HTTP/1.1 200 OK");
            }

            CliProcess postLog = CliProcess.run(workdir, "guest", "--host", "127.0.0.1:" + port,
                    "post-log", secondFile.toString());
            postLog.assertExitCode(0);

            HttpResponse<String> success = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + Protocol.SUCCESS_PATH))
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(success.statusCode()).isEqualTo(200);

            cli.awaitExit(TestLimits.COMMAND);
            cli.assertExitCode(0);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            expected.write(first);
            expected.write(second);
            assertThat(cli.stdout().bytes()).isEqualTo(expected.toByteArray());
            assertThat(cli.stderr().text()).contains("log " + expected.size() + " bytes");
        }
    }

    @Test
    void unixSocketServesGuestApi() throws Exception {
        Path socket = workdir.resolve("guest.sock");

        try (CliProcess cli = CliProcess.start(workdir, "run", "--no-local-guest",
                "--listen", "unix:" + socket, "--", "echo", "over unix")) {
            assertThat(cli.stderr().awaitMatch(SERVING, TestLimits.OUTPUT).group(1))
                    .isEqualTo("unix:" + socket);

            String execute = unixRequest(socket, "GET", Protocol.EXECUTE_PATH);
            assertThat(execute).startsWith("HTTP/1.1 200 OK").contains("\"command\":[\"echo\",\"over unix\"]");
            assertThat(unixRequest(socket, "PUT", Protocol.FAILED_PATH)).startsWith("HTTP/1.1 200 OK");

            cli.awaitExit(TestLimits.COMMAND);
            cli.assertExitCode(1);
            assertThat(cli.stderr().text()).contains("task failed");
        }
        assertThat(socket).doesNotExist();
    }

    @Test
    void hostileListingWritesOnlyBelowFolder() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        List<String> listing = List.of("/w/out/ok.txt", "/w/out/../../escape.txt", "/etc/passwd",
                "/w/out//double.txt", "relative.txt");

        try (CliProcess cli = CliProcess.start(workdir, "run", "--no-local-guest",
                "--listen", "127.0.0.1:0", "--artifact", "out", "--", "true")) {
            URI base = URI.create(cli.stderr().awaitMatch(SERVING, TestLimits.OUTPUT).group(1));
            assertThat(send(http, base, "PUT", Protocol.SUCCESS_PATH, Map.of(), new byte[0]).statusCode())
                    .isEqualTo(200);

            List<String> served = new ArrayList<>();
            while (served.size() < 3) {
                Action action = Json.MAPPER.readValue(
                        send(http, base, "GET", Protocol.POLL_PATH, Map.of(), null).body(), Action.class);
                String reply = Protocol.REPLY_PATH + "?id=" + action.id();
                if (action.type() == ActionType.GET_ARTIFACT && action.path().equals("out")) {
                    send(http, base, "POST", reply,
                            Map.of(Protocol.WORKER_ERROR_HEADER, Protocol.FILE_NOT_FOUND), new byte[0]);
                } else if (action.type() == ActionType.LIST_FOLDER) {
                    send(http, base, "POST", reply, Map.of("Content-Type", Protocol.JSON_CONTENT_TYPE),
                            Json.MAPPER.writeValueAsBytes(new io.metaservice.protocol.Files(listing, false)));
                } else if (action.type() == ActionType.GET_ARTIFACT) {
                    send(http, base, "POST", reply, Map.of(), "ok".getBytes(StandardCharsets.UTF_8));
                } else {
                    continue;
                }
                served.add(action.type().wireName() + " " + action.path());
            }

            cli.awaitExit(TestLimits.COMMAND);
            cli.assertExitCode(1);
            assertThat(served).containsExactly("get-artifact out", "list-folder out",
                    "get-artifact /w/out/ok.txt");
            assertThat(cli.stderr().text())
                    .contains("'/w/out/../../escape.txt'")
                    .contains("'/etc/passwd', which is not below the requested folder")
                    .contains("'/w/out//double.txt'")
                    .contains("'relative.txt'")
                    .contains("failed: out");
        }
        try (Stream<Path> written = Files.walk(workdir)) {
            assertThat(written.filter(java.nio.file.Files::isRegularFile))
                    .containsExactly(workdir.resolve("artifacts/out/ok.txt"));
        }
        assertThat(workdir.resolve("artifacts/out/ok.txt")).hasContent("ok");
    }

    private static HttpResponse<byte[]> send(HttpClient http, URI base, String method, String path,
            Map<String, String> headers, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(TestLimits.OUTPUT)
                .method(method, body == null
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] allByteValues() {
        byte[] bytes = new byte[512];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        return bytes;
    }

    private static void writeChunk(OutputStream out, byte[] chunk) throws IOException {
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    /** Sends one HTTP/1.1 request without a body over a Unix domain socket; returns the response. */
    private static String unixRequest(Path socket, String method, String path) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            String request = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n";
            channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
