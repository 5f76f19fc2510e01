package io.metaservice.guest.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/** Builds the task's environment variables from the three layers that define them. */
public final class TaskEnvironment {

    private TaskEnvironment() {
    }

    /**
     * Returns the agent's variables, overridden by the configured ones, overridden by the
     * task's own. A variable set to the empty string stays set, with an empty value.
     */
    public static Map<String, String> layer(
            Map<String, String> agent, Map<String, String> configured, Map<String, String> task) {
        Map<String, String> environment = new LinkedHashMap<>(agent);
        environment.putAll(configured);
        environment.putAll(task);
        return environment;
    }
}
