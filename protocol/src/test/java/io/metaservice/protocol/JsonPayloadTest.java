package io.metaservice.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonPayloadTest {

    @Test
    void executeWritesExactFieldNames() throws Exception {
        String json = Json.MAPPER.writeValueAsString(
                new Execute(Map.of("A", "1"), List.of("sh", "-c", "true")));

        assertThat(json).isEqualTo("{\"env\":{\"A\":\"1\"},\"command\":[\"sh\",\"-c\",\"true\"]}");
    }

    @Test
    void actionWritesEveryFieldIncludingNullCommand() throws Exception {
        Action action = new Action("abc", ActionType.GET_ARTIFACT, "/x", null, false);

        JsonNode node = Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(action));

        assertThat(node.get("id").asText()).isEqualTo("abc");
        assertThat(node.get("type").asText()).isEqualTo("get-artifact");
        assertThat(node.get("path").asText()).isEqualTo("/x");
        assertThat(node.get("command").isNull()).isTrue();
        assertThat(node.get("tty").asBoolean()).isFalse();
        assertThat(node.size()).isEqualTo(5);
    }

    @Test
    void actionTypesUseWireNames() throws Exception {
        Map<ActionType, String> expected = Map.of(
                ActionType.NONE, "\"none\"",
                ActionType.GET_ARTIFACT, "\"get-artifact\"",
                ActionType.LIST_FOLDER, "\"list-folder\"",
                ActionType.EXEC_SHELL, "\"exec-shell\"",
                ActionType.KILL_PROCESS, "\"kill-process\"");
        for (Map.Entry<ActionType, String> entry : expected.entrySet()) {
            assertThat(Json.MAPPER.writeValueAsString(entry.getKey())).isEqualTo(entry.getValue());
            assertThat(Json.MAPPER.readValue(entry.getValue(), ActionType.class))
                    .isEqualTo(entry.getKey());
        }
    }

    @Test
    void errorCodesUseWireNames() throws Exception {
        Map<ErrorCode, String> expected = Map.of(
                ErrorCode.METHOD_NOT_ALLOWED, "MethodNotAllowed",
                ErrorCode.NO_SUCH_END_POINT, "NoSuchEndPoint",
                ErrorCode.INTERNAL_ERROR, "InternalError",
                ErrorCode.RESOURCE_CONFLICT, "ResourceConflict",
                ErrorCode.UNKNOWN_ACTION_ID, "UnknownActionId",
                ErrorCode.INVALID_PAYLOAD, "InvalidPayload");
        for (Map.Entry<ErrorCode, String> entry : expected.entrySet()) {
            String json = Json.MAPPER.writeValueAsString(new ErrorBody(entry.getKey(), "m"));
            assertThat(json).isEqualTo("{\"code\":\"" + entry.getValue() + "\",\"message\":\"m\"}");
        }
    }

    @Test
    void decodersIgnoreUnknownFieldsAndTypes() throws Exception {
        Action action = Json.MAPPER.readValue(
                "{\"id\":\"i\",\"type\":\"teleport\",\"path\":\"/p\",\"command\":null,"
                        + "\"tty\":true,\"extra\":{\"x\":1}}",
                Action.class);

        assertThat(action.type()).isNull();
        assertThat(action.id()).isEqualTo("i");
        assertThat(action.tty()).isTrue();
        assertThat(action.command()).isNull();
    }

    @Test
    void filesAcceptsNullList() throws Exception {
        Files files = Json.MAPPER.readValue("{\"files\":null,\"notFound\":true}", Files.class);

        assertThat(files.files()).isNull();
        assertThat(files.notFound()).isTrue();
        assertThat(Json.MAPPER.writeValueAsString(Files.folderNotFound()))
                .isEqualTo("{\"files\":null,\"notFound\":true}");
    }

    @Test
    void filesWritesTruncatedOnlyWhenTrue() throws Exception {
        assertThat(Json.MAPPER.writeValueAsString(new Files(List.of("/w/a"), false)))
                .isEqualTo("{\"files\":[\"/w/a\"],\"notFound\":false}");
        assertThat(Json.MAPPER.writeValueAsString(new Files(List.of("/w/a"), false, true)))
                .isEqualTo("{\"files\":[\"/w/a\"],\"notFound\":false,\"truncated\":true}");
    }

    @Test
    void filesWithoutTruncatedIsComplete() throws Exception {
        Files files = Json.MAPPER.readValue("{\"files\":[\"/w/a\"],\"notFound\":false}", Files.class);

        assertThat(files.truncated()).isFalse();
        assertThat(files.files()).containsExactly("/w/a");
    }

    /** The listing record of a peer that does not know the {@code truncated} extension. */
    private record OriginalFiles(List<String> files, boolean notFound) {
    }

    @Test
    void truncatedListingDecodesForOriginalPeer() throws Exception {
        byte[] reply = Json.MAPPER.writeValueAsBytes(new Files(List.of("/w/a", "/w/b"), false, true));

        OriginalFiles decoded = Json.MAPPER.readValue(reply, OriginalFiles.class);

        assertThat(decoded.files()).containsExactly("/w/a", "/w/b");
        assertThat(decoded.notFound()).isFalse();
    }

    @Test
    void executeMissingFieldsBecomeEmpty() throws Exception {
        Execute execute = Json.MAPPER.readValue("{}", Execute.class);

        assertThat(execute.env()).isEmpty();
        assertThat(execute.command()).isEmpty();
    }
}
