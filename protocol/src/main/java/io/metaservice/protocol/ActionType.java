package io.metaservice.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The kinds of host action that a guest receives from {@code GET /engine/v1/poll}. */
public enum ActionType {
    /** Nothing to do: the poll timed out or polling was stopped. Never answered. */
    NONE("none"),
    /** Send the file at {@code path} as the reply body. */
    GET_ARTIFACT("get-artifact"),
    /** Send a {@link Files} listing of the folder at {@code path}. */
    LIST_FOLDER("list-folder"),
    /** Open a shell over a websocket on the reply URL. */
    EXEC_SHELL("exec-shell"),
    /** Kill the task's process tree, then reply with an empty body. */
    KILL_PROCESS("kill-process");

    private final String wireName;

    ActionType(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the exact string used on the wire. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /**
     * Parses a wire name. Returns {@code null} for a name this version does not know, so a
     * newer host can add action types that an older guest skips.
     */
    @JsonCreator
    public static ActionType fromWireName(String wireName) {
        for (ActionType type : values()) {
            if (type.wireName.equals(wireName)) {
                return type;
            }
        }
        return null;
    }
}
