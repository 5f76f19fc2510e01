package io.metaservice.host.daemon;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The definition of a new guest: the task's command, the environment variables that override
 * the agent's own, and the route by which the guest is reached.
 */
@JsonPropertyOrder({"command", "env", "route"})
public record GuestSpec(List<String> command, Map<String, String> env, GuestRoute route) {

    public GuestSpec {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("the command is missing; give the task's program and its arguments");
        }
        for (String argument : command) {
            if (argument == null || argument.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(
                        "the command contains a null argument or a NUL character, which no process can receive");
            }
        }
        command = List.copyOf(command);
        env = env == null ? Map.of() : env;
        for (Map.Entry<String, String> variable : env.entrySet()) {
            validateVariable(variable.getKey(), variable.getValue());
        }
        env = Map.copyOf(env);
        Objects.requireNonNull(route, "route");
    }

    private static void validateVariable(String name, String value) {
        if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid environment variable name '"
                    + (name == null ? "null" : name.replace('\0', '?'))
                    + "': a name must be non-empty and contain neither '=' nor NUL");
        }
        if (value == null || value.indexOf('\0') >= 0) {
            // The value is never quoted: environment values may be secrets.
            throw new IllegalArgumentException("environment variable " + name
                    + " has a null value or a value with a NUL character");
        }
    }
}
