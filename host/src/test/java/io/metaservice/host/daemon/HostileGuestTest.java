package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaservice.protocol.Action;
import io.metaservice.protocol.ActionType;
import io.metaservice.protocol.Json;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A guest that lists unsafe paths and huge folders, while another guest keeps working. */
class HostileGuestTest {

    @TempDir
    Path temp;
    DaemonFixture fixture;
    TestGuest hostile;
    TestGuest bystander;

    @BeforeEach
    void start() throws Exception {
        fixture = new DaemonFixture(temp);
        hostile = fixture.guest("hostile", DaemonFixture.portRoute());
        bystander = fixture.subnetGuest("bystander", "127.0.0.3");
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void unsafeListingsFailBeforeAnyDownload() throws Exception {
        Map<String, String> unsafe = new LinkedHashMap<>();
        unsafe.put("../../etc/passwd", "is not absolute");
        unsafe.put("/etc/passwd", "is not below the listed folder");
        unsafe.put("/outside/x", "is not below the listed folder");
        unsafe.put("/out/../../etc/passwd", "has a '..' name");
        unsafe.put("/out/./x", "has a '.' name");
        unsafe.put("/out//x", "has an empty name");
        unsafe.put("/out/", "names no file below the folder");
        unsafe.put("/out/a\u0000b", "contains NUL");
        unsafe.put("/out/..\\..\\etc\\passwd", "contains a backslash");
        unsafe.put("/out/a\nb", "contains a control character");
        unsafe.put("/out/good.txt", "is listed twice");
        unsafe.put("/out/good.txt/inner", "runs through the listed file 'good.txt'");

        for (Map.Entry<String, String> path : unsafe.entrySet()) {
            CompletableFuture<HttpResponse<String>> archive =
                    fixture.sendAsync("GET", "/v1/guests/" + hostile.id() + "/archive?path=/out");
            Action list = hostile.pollForAction();
            hostile.replyListing(list.id(), Json.MAPPER.writeValueAsString(
                    Map.of("files", List.of("/out/good.txt", path.getKey()), "notFound", false)));
            HttpResponse<String> response = archive.get(20, TimeUnit.SECONDS);
            JsonNode body = DaemonFixture.json(response);

            assertThat(response.statusCode()).as(path.getKey()).isEqualTo(502);
            assertThat(body.get("code").asText()).isEqualTo("UnsafePath");
            assertThat(body.get("message").asText()).as(path.getKey())
                    .contains(hostile.id()).contains("unsafe paths (1 of 2)").contains(path.getValue())
                    .doesNotContain("\u0000").doesNotContain("\n");
            assertThat(hostile.poll().type()).as("no download after " + path.getKey()).isEqualTo(ActionType.NONE);
        }
        assertThat(temporaryFiles()).isEmpty();
        assertThat(bystander.execute().command()).containsExactly("echo", "bystander");
    }

    @Test
    void hugeListingIsServedAndMeasured() throws Exception {
        int count = 100_000;
        List<String> files = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            files.add("/out/folder-" + (i % 100) + "/file-" + i + ".txt");
        }
        String listing = Json.MAPPER.writeValueAsString(Map.of("files", files, "notFound", false));
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();

        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> response =
                fixture.sendAsync("GET", "/v1/guests/" + hostile.id() + "/files?path=/out");
        Action list = hostile.pollForAction();
        GuestConnection.Reply reply = hostile.replyListing(list.id(), listing);
        HttpResponse<String> listed = response.get(20, TimeUnit.SECONDS);
        long listMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long heapPeak = memory.getHeapMemoryUsage().getUsed();
        long checkStart = System.nanoTime();
        List<ListedPaths.Entry> entries = ListedPaths.relativize("/out",
                Json.MAPPER.readValue(listed.body(), io.metaservice.host.daemon.control.ControlBodies.FolderListing.class)
                        .files());
        long checkMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkStart);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(DaemonFixture.json(listed).get("files").size()).isEqualTo(count);
        assertThat(entries).hasSize(count);
        assertThat(bystander.execute().command()).containsExactly("echo", "bystander");
        System.err.printf("listing of %d entries (%d bytes): guest reply to control response in %d ms,"
                        + " path check in %d ms, heap used %d MiB before and %d MiB after%n",
                count, listing.length(), listMillis, checkMillis, heapBefore >> 20, heapPeak >> 20);
    }

    @Test
    void hugeHostileListingIsRejectedWhole() throws Exception {
        int count = 100_000;
        List<String> files = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            files.add(i % 2 == 0 ? "/out/file-" + i : "/out/../../escape-" + i);
        }
        CompletableFuture<HttpResponse<String>> archive =
                fixture.sendAsync("GET", "/v1/guests/" + hostile.id() + "/archive?path=/out");
        Action list = hostile.pollForAction();
        long start = System.nanoTime();
        hostile.replyListing(list.id(), Json.MAPPER.writeValueAsString(Map.of("files", files, "notFound", false)));
        HttpResponse<String> response = archive.get(20, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        String message = DaemonFixture.json(response).get("message").asText();

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(message).contains("unsafe paths (50000 of 100000)").endsWith("; ...");
        assertThat(message.length()).isLessThan(2000);
        assertThat(hostile.poll().type()).isEqualTo(ActionType.NONE);
        assertThat(bystander.execute().command()).containsExactly("echo", "bystander");
        System.err.printf("hostile listing of %d entries rejected in %d ms with a %d-character message%n",
                count, millis, message.length());
    }

    private List<Path> temporaryFiles() throws Exception {
        try (Stream<Path> files = Files.list(temp.resolve("state/guests").resolve(hostile.id()).resolve("tmp"))) {
            return files.toList();
        }
    }
}
