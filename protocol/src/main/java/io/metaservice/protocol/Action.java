package io.metaservice.protocol;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The body of {@code GET /engine/v1/poll}: one host action for the guest to carry out.
 *
 * <p>{@code type} is {@code null} when the host sent a type this version does not know.
 * {@code path} is empty unless the type needs it; {@code command} may be {@code null}, which
 * for {@link ActionType#EXEC_SHELL} means the default shell.
 */
@JsonPropertyOrder({"id", "type", "path", "command", "tty"})
public record Action(String id, ActionType type, String path, List<String> command, boolean tty) {

    public Action {
        path = path == null ? "" : path;
        command = command == null ? null : List.copyOf(command);
    }

    /** Creates a {@link ActionType#NONE} action with a fresh id. */
    public static Action none() {
        return new Action(Slugid.v4(), ActionType.NONE, "", null, false);
    }
}
