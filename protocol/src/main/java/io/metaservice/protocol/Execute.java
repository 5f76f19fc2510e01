package io.metaservice.protocol;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code GET /engine/v1/execute}: the task's command and the environment variables
 * that override the agent's own.
 */
@JsonPropertyOrder({"env", "command"})
public record Execute(Map<String, String> env, List<String> command) {

    public Execute {
        env = env == null ? Map.of() : Map.copyOf(env);
        command = command == null ? List.of() : List.copyOf(command);
    }
}
