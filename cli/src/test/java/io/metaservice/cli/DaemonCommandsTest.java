package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metaservice.guest.GuestAgent;
import io.metaservice.guest.GuestConfig;
import io.metaservice.host.daemon.ControlEndpoint;
import io.metaservice.host.daemon.GuestRoute;
import io.metaservice.host.daemon.GuestSpec;
import io.metaservice.host.daemon.GuestState;
import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.control.ControlBodies;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import io.metaservice.protocol.Protocol;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code metaservice serve} in its own JVM with real guest agents on each kind of route, driven
 * by the client commands, each in its own JVM as a worker would run them.
 */
@Timeout(600)
class DaemonCommandsTest {

    private static final Pattern STARTED = Pattern.compile(
            "metaservice serve: control API on (\\S+); subnet routes on 127\\.0\\.0\\.1:(\\d+);");
    private static final HttpClient GUEST_HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String TASK = "echo \"I am $NAME\"; mkdir -p out/sub; echo \"$NAME\" > out/name.txt;"
            + " echo nested > out/sub/nested.txt";

    @TempDir
    Path temp;
    Path socket;
    CliProcess serve;
    int sharedPort;
    ControlClient client;
    private final List<GuestAgent> agents = new ArrayList<>();
    private final List<Process> bridges = new ArrayList<>();
    private final ExecutorService agentThreads = Executors.newCachedThreadPool(
            task -> new Thread(task, "test-guest-agent"));

    @BeforeEach
    void startDaemon() throws Exception {
        socket = temp.resolve("control.sock");
        serve = CliProcess.start(temp, "serve", "--state-dir", temp.resolve("state").toString(),
                "--control", "unix:" + socket, "--guest-listen", "127.0.0.1:0");
        Matcher started = serve.stderr().awaitMatch(STARTED, TestLimits.OUTPUT);
        sharedPort = Integer.parseInt(started.group(2));
        client = ControlClient.connect(new ControlEndpoint.UnixSocket(socket), null);
    }

    @AfterEach
    void stopDaemon() throws Exception {
        for (GuestAgent agent : agents) {
            agent.close();
        }
        agentThreads.shutdownNow();
        for (Process bridge : bridges) {
            bridge.destroy();
            bridge.waitFor(10, TimeUnit.SECONDS);
        }
        client.close();
        serve.terminate();
        serve.awaitExit(TestLimits.COMMAND);
        serve.close();
        assertThat(temp.resolve("state/guests")).doesNotExist();
        assertThat(socket).doesNotExist();
    }

    @Test
    void guestsOnEachRouteKindStayApart() throws Exception {
        Path socat = findOnPath("socat");
        assumeTrue(socat != null, "socat is not installed; it bridges the agent to the guest's Unix socket");
        Map<String, GuestRoute> routes = Map.of(
                "alpha", new GuestRoute.SubnetRoute("127.0.0.1/32"),
                "bravo", new GuestRoute.UnixSocketRoute(null),
                "charlie", new GuestRoute.LoopbackPortRoute(null, 0));
        List<String> names = List.of("alpha", "bravo", "charlie");
        List<ControlBodies.GuestInfo> guests = new ArrayList<>();
        for (String name : names) {
            ControlBodies.GuestInfo guest = client.create(new GuestSpec(List.of("sh", "-c", TASK),
                    Map.of("NAME", name), routes.get(name)));
            guests.add(guest);
            startAgent(name, agentPort(guest, socat));
        }

        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String id = guests.get(i).id();
            Path folder = temp.resolve("agent-" + name);

            CliProcess logs = CliProcess.run(temp, "logs", "-f", id, "--control", "unix:" + socket);
            CliProcess waited = CliProcess.run(temp, "wait", id, "--control", "unix:" + socket);
            CliProcess copied = CliProcess.run(temp, "cp", id + ":" + folder.resolve("out"),
                    temp.resolve("copy-" + name).toString(), "--control", "unix:" + socket);
            CliProcess copiedFile = CliProcess.run(temp, "cp", id + ":out/name.txt",
                    temp.resolve("name-" + name + ".txt").toString(), "--control", "unix:" + socket);
            CliProcess shell = CliProcess.run(temp, "shell", "--control", "unix:" + socket, id,
                    "--", "sh", "-c", "echo \"shell of $NAME in $(pwd)\"");

            logs.assertExitCode(0);
            assertThat(logs.stdout().text()).as(name).isEqualTo("I am " + name + "\n");
            waited.assertExitCode(0);
            assertThat(waited.stdout().text()).isEqualTo("success\n");
            copied.assertExitCode(0);
            assertThat(temp.resolve("copy-" + name + "/name.txt")).hasContent(name);
            assertThat(temp.resolve("copy-" + name + "/sub/nested.txt")).hasContent("nested");
            copiedFile.assertExitCode(0);
            assertThat(temp.resolve("name-" + name + ".txt")).hasContent(name);
            shell.assertExitCode(0);
            assertThat(shell.stdout().text()).isEqualTo("shell of " + name + " in " + folder + "\n");
        }

        CliProcess table = CliProcess.run(temp, "guests", "--control", "unix:" + socket);
        table.assertExitCode(0);
        List<String> lines = table.stdout().text().lines().toList();
        assertThat(lines.get(0)).startsWith("ID").contains("STATE", "RESULT", "ROUTE", "ATTACH", "LOG", "COMMAND");
        assertThat(lines).hasSize(4);
        for (int i = 0; i < names.size(); i++) {
            assertThat(lines.get(i + 1)).startsWith(guests.get(i).id()).contains("succeeded", "success");
        }
        assertThat(lines.get(1)).contains("subnet", "127.0.0.1/32");
        assertThat(lines.get(2)).contains("unix-socket");
        assertThat(lines.get(3)).contains("loopback-port");

        CliProcess release = CliProcess.run(temp, "release", guests.get(0).id(), "--control", "unix:" + socket);
        release.assertExitCode(0);
        assertThat(client.guest(guests.get(0).id()).state()).isEqualTo(GuestState.RELEASED);
        assertThat(client.guest(guests.get(1).id()).state()).isEqualTo(GuestState.SUCCEEDED);
    }

    @Test
    void killEndsLongTask() throws Exception {
        ControlBodies.GuestInfo guest = client.create(new GuestSpec(List.of("sleep", "300"), Map.of(),
                new GuestRoute.LoopbackPortRoute(null, 0)));
        startAgent("sleeper", guest.attachment().port());
        awaitState(guest.id(), GuestState.RUNNING);

        CliProcess kill = CliProcess.run(temp, "kill", guest.id(), "--control", "unix:" + socket);
        CliProcess waited = CliProcess.run(temp, "wait", guest.id(), "--control", "unix:" + socket);

        kill.assertExitCode(0);
        waited.assertExitCode(1);
        assertThat(waited.stdout().text()).isEqualTo("failure\n");
    }

    @Test
    void errorsNameGuestPathAndNextStep() throws Exception {
        ControlBodies.GuestInfo guest = client.create(new GuestSpec(List.of("sh", "-c", TASK), Map.of("NAME", "x"),
                new GuestRoute.LoopbackPortRoute(null, 0)));
        startAgent("x", guest.attachment().port());
        String control = "unix:" + socket;

        CliProcess unknown = CliProcess.run(temp, "logs", "NoSuchGuest", "--control", control);
        CliProcess missing = CliProcess.run(temp, "cp", guest.id() + ":/no/such/path",
                temp.resolve("dest").toString(), "--control", control);
        CliProcess relative = CliProcess.run(temp, "cp", guest.id() + ":no-such-folder",
                temp.resolve("dest").toString(), "--control", control);
        CliProcess usage = CliProcess.run(temp, "cp", "no-colon", temp.resolve("dest").toString(), "--control", control);
        CliProcess nowhere = CliProcess.run(temp, "guests", "--control", "unix:" + temp.resolve("none.sock"));
        CliProcess.run(temp, "release", guest.id(), "--control", control).assertExitCode(0);
        CliProcess afterRelease = CliProcess.run(temp, "kill", guest.id(), "--control", control);

        unknown.assertExitCode(1);
        assertThat(unknown.stderr().text()).contains("metaservice logs: no guest has the id 'NoSuchGuest'")
                .contains("list the guests");
        missing.assertExitCode(1);
        assertThat(missing.stderr().text()).contains("guest " + guest.id() + ": /no/such/path is neither a file"
                + " nor a folder in the guest; check the path");
        relative.assertExitCode(1);
        assertThat(relative.stderr().text()).contains("give its absolute path");
        usage.assertExitCode(2);
        assertThat(usage.stderr().text()).contains("expected GUEST:PATH");
        nowhere.assertExitCode(1);
        assertThat(nowhere.stderr().text()).contains("cannot reach the daemon's control API at unix:")
                .contains("check that metaservice serve is running");
        afterRelease.assertExitCode(1);
        assertThat(afterRelease.stderr().text()).contains("has been released").contains("create a new guest");
        assertThat(temp.resolve("dest")).doesNotExist();
    }

    @Test
    void cpRejectsHostileListing() throws Exception {
        ControlBodies.GuestInfo guest = client.create(new GuestSpec(List.of("true"), Map.of(),
                new GuestRoute.LoopbackPortRoute(null, 0)));
        URI base = URI.create("http://127.0.0.1:" + guest.attachment().port());
        Path destination = temp.resolve("box/dest");
        Files.createDirectories(destination.getParent());

        try (CliProcess cp = CliProcess.start(temp, "cp", guest.id() + ":/out", destination.toString(),
                "--control", "unix:" + socket)) {
            Action fileRequest = pollForAction(base);
            replyAsGuest(base, fileRequest, new byte[0], Protocol.WORKER_ERROR_HEADER, Protocol.FILE_NOT_FOUND);
            Action listRequest = pollForAction(base);
            replyAsGuest(base, listRequest, Json.MAPPER.writeValueAsBytes(Map.of("notFound", false, "files",
                    List.of("/out/ok.txt", "/out/../../escape.txt", "/etc/passwd", "/out/a\\b"))),
                    "Content-Type", Protocol.JSON_CONTENT_TYPE);
            cp.awaitExit(TestLimits.COMMAND);

            cp.assertExitCode(1);
            assertThat(fileRequest.type()).isEqualTo(ActionType.GET_ARTIFACT);
            assertThat(listRequest.type()).isEqualTo(ActionType.LIST_FOLDER);
            assertThat(cp.stderr().text()).contains("metaservice cp: guest " + guest.id())
                    .contains("unsafe paths (3 of 4)").contains("'/etc/passwd' is not below the listed folder")
                    .contains("'/out/../../escape.txt' has a '..' name").contains("backslash");
        }
        assertThat(destination).doesNotExist();
        try (Stream<Path> files = Files.walk(temp)) {
            assertThat(files.map(path -> path.getFileName().toString())).doesNotContain("escape.txt", "ok.txt");
        }
    }

    @Test
    void serveHelpNamesEveryListenerLimitAndPath() throws Exception {
        CliProcess help = CliProcess.run(temp, "serve", "--help");

        help.assertExitCode(0);
        for (String option : List.of("--state-dir", "--control", "--token-file", "--guest-listen",
                "--guest-address", "--guest-port", "--released-retention", "--max-guests", "--max-connections",
                "--max-parked-polls", "--max-pending-actions", "--max-shells", "--max-log-requests",
                "--max-request-header-bytes",
                "--header-timeout", "--idle-timeout", "--min-reply-rate", "--reply-rate-grace",
                "--reply-idle-timeout", "--list-folder-body-limit", "--max-artifact-bytes",
                "--max-temporary-bytes", "--max-log-bytes", "--max-shell-message-bytes")) {
            assertThat(help.stdout().text()).as(option).contains(option);
        }
        assertThat(help.stdout().text().split("default", -1).length - 1).isGreaterThanOrEqualTo(20);
    }

    @Test
    void clientHelpNamesControlOptions() throws Exception {
        for (String command : List.of("guests", "logs", "wait", "cp", "shell", "kill", "release")) {
            CliProcess help = CliProcess.run(temp, command, "--help");

            help.assertExitCode(0);
            assertThat(help.stdout().text()).as(command).contains("--control", "--token-file", "Exit codes");
        }
    }

    /** Starts an agent in this JVM, in its own folder, for the meta-data service on 127.0.0.1:port. */
    private void startAgent(String name, int port) throws Exception {
        Path folder = Files.createDirectory(temp.resolve("agent-" + name));
        Path config = temp.resolve("agent-" + name + ".yaml");
        Files.writeString(config, "workdir: '" + folder + "'\n");
        GuestAgent agent = new GuestAgent(URI.create("http://127.0.0.1:" + port + "/"), GuestConfig.load(config));
        agents.add(agent);
        CompletableFuture.supplyAsync(agent::runTask, agentThreads);
    }

    /**
     * Returns the TCP port on which an agent reaches the guest: the shared listener for a subnet
     * route, the guest's own port, or a socat bridge to the guest's Unix socket, as QEMU's
     * guestfwd would be.
     */
    private int agentPort(ControlBodies.GuestInfo guest, Path socat) throws Exception {
        if (guest.attachment().subnet() != null) {
            return sharedPort;
        }
        if (guest.attachment().port() != null) {
            return guest.attachment().port();
        }
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Process bridge = new ProcessBuilder(socat.toString(), "-d", "-d",
                "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork",
                "UNIX-CONNECT:" + guest.attachment().socket())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        bridges.add(bridge);
        OutputCollector log = new OutputCollector(bridge.getErrorStream(), "socat-" + port);
        log.awaitMatch(Pattern.compile("listening on"), TestLimits.OUTPUT);
        return port;
    }

    private void awaitState(String id, GuestState state) throws Exception {
        long deadline = System.nanoTime() + TestLimits.OUTPUT.toNanos();
        while (client.guest(id).state() != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("guest " + id + " did not become " + state + " within " + TestLimits.OUTPUT);
            }
            // The daemon has no event to wait on; a result wait of one second paces the checks.
            client.result(id, Duration.ofSeconds(1));
        }
    }

    /** Polls as the guest until an action other than none arrives. */
    private static Action pollForAction(URI base) throws Exception {
        long deadline = System.nanoTime() + TestLimits.OUTPUT.toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<byte[]> response = GUEST_HTTP.send(HttpRequest.newBuilder(base.resolve(Protocol.POLL_PATH))
                    .timeout(TestLimits.OUTPUT).build(), HttpResponse.BodyHandlers.ofByteArray());
            Action action = Json.MAPPER.readValue(response.body(), Action.class);
            if (action.type() != ActionType.NONE) {
                return action;
            }
        }
        throw new AssertionError("no action arrived within " + TestLimits.OUTPUT);
    }

    private static void replyAsGuest(URI base, Action action, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(Protocol.REPLY_PATH + "?"
                + Protocol.REPLY_ID_PARAMETER + "=" + action.id())).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(TestLimits.OUTPUT);
        if (headers.length > 0) {
            request.headers(headers);
        }
        int status = GUEST_HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        assertThat(status).as("reply to " + action.type()).isEqualTo(200);
    }

    private static Path findOnPath(String program) {
        for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(folder, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
