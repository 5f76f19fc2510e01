package io.metaservice.guest;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The guest agent's configuration, read from the same YAML keys as the original guest tools.
 *
 * <ul>
 *   <li>{@code entrypoint}: arguments placed before the task's command, default none.
 *   <li>{@code env}: variables that override the agent's environment, before the task's own.
 *   <li>{@code shell}: the default shell for {@code exec-shell}, default {@code ["sh"]}.
 *   <li>{@code user}: the user that runs the task, default the agent's user.
 *   <li>{@code workdir}: the task's working folder, default the agent's current folder.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class GuestConfig {

    private static final List<String> DEFAULT_SHELL = List.of("sh");
    /** Configuration files are small; a larger file is rejected, not parsed. */
    private static final long MAX_FILE_BYTES = 1024 * 1024;
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final List<String> entrypoint;
    private final Map<String, String> env;
    private final List<String> shell;
    private final String user;
    private final String workdir;

    private GuestConfig(
            List<String> entrypoint,
            Map<String, String> env,
            List<String> shell,
            String user,
            String workdir) {
        this.entrypoint = entrypoint;
        this.env = env;
        this.shell = shell;
        this.user = user;
        this.workdir = workdir;
    }

    /** Returns the configuration used when no file is given. */
    public static GuestConfig defaults() {
        return new GuestConfig(List.of(), Map.of(), DEFAULT_SHELL, null, null);
    }

    /**
     * Reads a YAML configuration file. Unknown keys are ignored, missing keys take their
     * defaults, and an empty file gives {@link #defaults()}.
     *
     * @throws InvalidConfigException if the file is not valid YAML or a key has the wrong type
     * @throws IOException if the file cannot be read
     */
    public static GuestConfig load(Path yamlFile) throws IOException {
        long size = Files.size(yamlFile);
        if (size > MAX_FILE_BYTES) {
            throw new InvalidConfigException(yamlFile + ": the file has " + size
                    + " bytes, more than the maximum of " + MAX_FILE_BYTES);
        }
        byte[] bytes = Files.readAllBytes(yamlFile);
        RawConfig raw;
        try {
            JsonNode document = YAML.readTree(bytes);
            // A file that is empty or holds only comments has no document.
            if (document == null || document.isMissingNode() || document.isNull()) {
                return defaults();
            }
            raw = YAML.treeToValue(document, RawConfig.class);
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(
                    yamlFile + ": invalid configuration: " + e.getOriginalMessage(), e);
        }
        return fromRaw(raw, yamlFile);
    }

    /** Returns the arguments placed before the task's command, empty when not configured. */
    public List<String> entrypoint() {
        return entrypoint;
    }

    /** Returns the variables that override the agent's environment. The task's own win. */
    public Map<String, String> env() {
        return env;
    }

    /** Returns the command of an {@code exec-shell} action that names no command. */
    public List<String> shell() {
        return shell;
    }

    /** Returns the user that runs the task, or empty to run it as the agent's user. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** Returns the task's working folder, or empty for the agent's current folder. */
    public Optional<String> workdir() {
        return Optional.ofNullable(workdir);
    }

    @Override
    public String toString() {
        return "GuestConfig[entrypoint=" + entrypoint + ", env keys=" + env.keySet()
                + ", shell=" + shell + ", user=" + user + ", workdir=" + workdir + "]";
    }

    private static GuestConfig fromRaw(RawConfig raw, Path file) throws InvalidConfigException {
        List<String> entrypoint = checkedList(raw.entrypoint, "entrypoint", file);
        List<String> shell = checkedList(raw.shell, "shell", file);
        checkNoNul(raw.user, "user", file);
        checkNoNul(raw.workdir, "workdir", file);
        Map<String, String> env = new LinkedHashMap<>();
        if (raw.env != null) {
            for (Map.Entry<String, String> entry : raw.env.entrySet()) {
                checkVariable(entry.getKey(), entry.getValue(), file);
                env.put(entry.getKey(), entry.getValue());
            }
        }
        return new GuestConfig(
                entrypoint,
                Map.copyOf(env),
                shell.isEmpty() ? DEFAULT_SHELL : shell,
                blankToNull(raw.user),
                blankToNull(raw.workdir));
    }

    private static List<String> checkedList(List<String> values, String key, Path file)
            throws InvalidConfigException {
        if (values == null) {
            return List.of();
        }
        for (String value : values) {
            if (value == null) {
                throw new InvalidConfigException(
                        file + ": invalid configuration: '" + key + "' contains an empty item");
            }
            checkNoNul(value, key, file);
        }
        return List.copyOf(values);
    }

    private static void checkVariable(String name, String value, Path file)
            throws InvalidConfigException {
        if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
            throw new InvalidConfigException(file + ": invalid configuration: environment"
                    + " variable name '" + name + "' is empty or contains '=' or NUL");
        }
        if (value == null) {
            throw new InvalidConfigException(file + ": invalid configuration: environment"
                    + " variable '" + name + "' has no value; use \"\" for an empty value");
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidConfigException(file + ": invalid configuration: environment"
                    + " variable '" + name + "' contains NUL");
        }
    }

    private static void checkNoNul(String value, String key, Path file)
            throws InvalidConfigException {
        if (value != null && value.indexOf('\0') >= 0) {
            throw new InvalidConfigException(
                    file + ": invalid configuration: '" + key + "' contains a NUL character");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** The YAML document as Jackson binds it, before checks and defaults. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    private static final class RawConfig {
        @JsonProperty("entrypoint")
        List<String> entrypoint;
        @JsonProperty("env")
        Map<String, String> env;
        @JsonProperty("shell")
        List<String> shell;
        @JsonProperty("user")
        String user;
        @JsonProperty("workdir")
        String workdir;
    }
}
