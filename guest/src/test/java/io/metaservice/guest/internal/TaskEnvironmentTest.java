package io.metaservice.guest.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskEnvironmentTest {

    @Test
    void taskOverridesConfigOverridesAgent() {
        Map<String, String> agent = Map.of("PATH", "/bin", "HOME", "/root", "SHARED", "agent");
        Map<String, String> configured = Map.of("SHARED", "config", "LANG", "C.UTF-8");
        Map<String, String> task = Map.of("LANG", "task", "TASK_ID", "abc");

        Map<String, String> environment = TaskEnvironment.layer(agent, configured, task);

        assertThat(environment).containsExactlyInAnyOrderEntriesOf(Map.of(
                "PATH", "/bin",
                "HOME", "/root",
                "SHARED", "config",
                "LANG", "task",
                "TASK_ID", "abc"));
    }

    @Test
    void emptyValueStaysSet() {
        Map<String, String> environment =
                TaskEnvironment.layer(Map.of("HOME", "/root"), Map.of(), Map.of("HOME", ""));

        assertThat(environment).containsEntry("HOME", "");
    }

    @Test
    void inputsAreNotChanged() {
        Map<String, String> agent = new java.util.HashMap<>(Map.of("A", "1"));

        Map<String, String> environment = TaskEnvironment.layer(agent, Map.of("A", "2"), Map.of());
        environment.put("B", "3");

        assertThat(agent).containsExactly(Map.entry("A", "1"));
    }
}
