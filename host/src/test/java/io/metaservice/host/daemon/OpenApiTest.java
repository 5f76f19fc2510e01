package io.metaservice.host.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.metaservice.host.daemon.control.ControlApi;
import io.metaservice.protocol.Json;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks {@code docs/openapi.yaml} against a running daemon. Every documented route responds
 * with a documented status, every route that responds is documented, and the JSON bodies have
 * exactly the documented properties.
 */
class OpenApiTest {

    private static final Path DOCUMENT = Path.of("..", "docs", "openapi.yaml");
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH");

    private static JsonNode document;

    @TempDir
    Path temp;
    DaemonFixture fixture;
    /** A guest that takes requests. */
    TestGuest active;
    /** A released guest, on which host operations fail at once instead of waiting for a guest. */
    TestGuest released;

    @BeforeAll
    static void load() throws Exception {
        document = new YAMLMapper().readTree(DOCUMENT.toFile());
    }

    @BeforeEach
    void start() throws Exception {
        fixture = new DaemonFixture(temp);
        active = fixture.guest("active", DaemonFixture.portRoute());
        released = fixture.guest("released", DaemonFixture.unixRoute());
        fixture.post("/v1/guests/" + released.id() + "/release");
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void documentedRoutesAnswerWithDocumentedStatus() throws Exception {
        for (Map.Entry<String, Set<String>> route : documentedRoutes().entrySet()) {
            for (String method : route.getValue()) {
                HttpResponse<String> response = probe(method, route.getKey());
                String label = method + " " + route.getKey();

                assertThat(isMissingRoute(response)).as(label + ": " + response.body()).isFalse();
                assertThat(documentedStatuses(route.getKey(), method)).as(label + ": " + response.body())
                        .contains(String.valueOf(response.statusCode()));
            }
        }
    }

    @Test
    void answeringRoutesAreDocumented() throws Exception {
        Set<String> candidates = new LinkedHashSet<>(documentedRoutes().keySet());
        for (String resource : List.of(ControlApi.LOG, ControlApi.RESULT, ControlApi.FILES, ControlApi.FILE,
                ControlApi.ARCHIVE, ControlApi.SHELL, ControlApi.KILL, ControlApi.RELEASE, "unknown", "")) {
            candidates.add("/v1/guests/{id}/" + resource);
        }
        candidates.addAll(List.of("/", "/v1", "/v1/", "/v1/guests/", "/v2/guests", "/engine/v1/execute",
                "/v1/guests/{id}/log/extra"));
        Map<String, Set<String>> documented = documentedRoutes();
        List<String> undocumented = new ArrayList<>();

        for (String path : candidates) {
            for (String method : METHODS) {
                HttpResponse<String> response = probe(method, path);
                boolean answers = !isMissingRoute(response) && response.statusCode() != 405;
                boolean listed = documented.getOrDefault(path, Set.of()).contains(method);
                if (answers != listed) {
                    undocumented.add(method + " " + path + " -> " + response.statusCode());
                }
            }
        }

        assertThat(undocumented).isEmpty();
    }

    @Test
    void bodiesHaveDocumentedProperties() throws Exception {
        Map<String, HttpResponse<String>> bodies = new LinkedHashMap<>();
        bodies.put("DaemonInfo", fixture.get("/v1/daemon"));
        bodies.put("GuestList", fixture.get("/v1/guests"));
        bodies.put("GuestInfo", fixture.get("/v1/guests/" + active.id()));
        bodies.put("ResultInfo", fixture.get("/v1/guests/" + active.id() + "/result?timeout=0"));
        bodies.put("ControlError", fixture.get("/v1/guests/" + released.id() + "/files?path=/a"));

        for (Map.Entry<String, HttpResponse<String>> body : bodies.entrySet()) {
            JsonNode schema = document.at("/components/schemas/" + body.getKey());
            JsonNode json = Json.MAPPER.readTree(body.getValue().body());

            assertThat(names(json.fieldNames())).as(body.getKey()).isEqualTo(names(schema.get("properties").fieldNames()));
            assertThat(names(schema.get("required").elements())).as(body.getKey() + " required")
                    .isEqualTo(names(json.fieldNames()));
        }
        JsonNode attachment = document.at("/components/schemas/Attachment/properties");
        JsonNode realAttachment = DaemonFixture.json(bodies.get("GuestInfo")).get("attachment");
        assertThat(names(realAttachment.fieldNames())).isEqualTo(names(attachment.fieldNames()));
        JsonNode codes = document.at("/components/schemas/ControlError/properties/code/enum");
        Set<String> realCodes = new TreeSet<>();
        for (ControlErrorCode code : ControlErrorCode.values()) {
            realCodes.add(code.wireName());
        }
        assertThat(names(codes.elements())).isEqualTo(realCodes);
    }

    /** Sends a request that a route completes at once, for the active or the released guest. */
    private HttpResponse<String> probe(String method, String template) throws Exception {
        boolean operation = template.endsWith("/files") || template.endsWith("/file")
                || template.endsWith("/archive") || template.endsWith("/kill");
        String guestId = operation || template.endsWith("/release") ? released.id() : active.id();
        String path = template.replace("{id}", guestId);
        if (template.endsWith("/files") || template.endsWith("/file") || template.endsWith("/archive")) {
            path += "?path=/out";
        } else if (template.endsWith("/result")) {
            path += "?timeout=0";
        }
        String body = method.equals("POST") && template.equals(ControlApi.GUESTS_PATH)
                ? "{\"command\":[\"true\"],\"route\":{\"type\":\"loopback-port\"}}" : null;
        return fixture.send(method, path, body);
    }

    private static boolean isMissingRoute(HttpResponse<String> response) throws Exception {
        return response.statusCode() == 404
                && Json.MAPPER.readTree(response.body()).path("code").asText().equals("NoSuchEndPoint");
    }

    private static Map<String, Set<String>> documentedRoutes() {
        Map<String, Set<String>> routes = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields();
        while (paths.hasNext()) {
            Map.Entry<String, JsonNode> path = paths.next();
            Set<String> methods = new TreeSet<>();
            for (String key : names(path.getValue().fieldNames())) {
                if (!key.equals("parameters")) {
                    methods.add(key.toUpperCase(Locale.ROOT));
                }
            }
            routes.put(path.getKey(), methods);
        }
        return routes;
    }

    private static Set<String> documentedStatuses(String path, String method) {
        return names(document.get("paths").get(path).get(method.toLowerCase(Locale.ROOT)).get("responses").fieldNames());
    }

    private static Set<String> names(Iterator<?> values) {
        Set<String> names = new TreeSet<>();
        values.forEachRemaining(value -> names.add(value instanceof JsonNode node ? node.asText() : value.toString()));
        return names;
    }
}
