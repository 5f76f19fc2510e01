package io.metaservice.protocol.shell;

import java.nio.ByteBuffer;

/**
 * One decoded shell message. Which fields are meaningful depends on {@link #type()}: data has a
 * stream and a payload (empty means end of stream), ack a stream and a count, size columns and
 * rows, exit a success flag; abort has none.
 */
public record ShellMessage(
        Type type, ShellStream stream, ByteBuffer payload, long count, int columns, int rows,
        boolean success) {

    /** Message types with their wire values. */
    public enum Type {
        DATA(0),
        ACK(1),
        SIZE(3),
        ABORT(4),
        EXIT(5);

        private final int wireValue;

        Type(int wireValue) {
            this.wireValue = wireValue;
        }

        public int wireValue() {
            return wireValue;
        }

        /** Returns the type with this wire value, or {@code null} for an unknown one. */
        public static Type fromWireValue(int value) {
            for (Type type : values()) {
                if (type.wireValue == value) {
                    return type;
                }
            }
            return null;
        }
    }

    public static ShellMessage data(ShellStream stream, ByteBuffer payload) {
        return new ShellMessage(Type.DATA, stream, payload.slice(), 0, 0, 0, false);
    }

    public static ShellMessage ack(ShellStream stream, long count) {
        return new ShellMessage(Type.ACK, stream, null, count, 0, 0, false);
    }

    public static ShellMessage size(int columns, int rows) {
        return new ShellMessage(Type.SIZE, null, null, 0, columns, rows, false);
    }

    public static ShellMessage abort() {
        return new ShellMessage(Type.ABORT, null, null, 0, 0, 0, false);
    }

    public static ShellMessage exit(boolean success) {
        return new ShellMessage(Type.EXIT, null, null, 0, 0, 0, success);
    }

    /**
     * Returns true for a data message with an empty payload, which ends its stream. Reading the
     * payload does not change the answer, because the payload is a slice that starts at 0.
     */
    public boolean isEndOfStream() {
        return type == Type.DATA && payload.limit() == 0;
    }
}
