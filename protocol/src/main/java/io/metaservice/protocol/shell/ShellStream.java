package io.metaservice.protocol.shell;

/** The byte streams of a shell, with their wire numbers. */
public enum ShellStream {
    STDIN(0),
    STDOUT(1),
    STDERR(2);

    private final int wireValue;

    ShellStream(int wireValue) {
        this.wireValue = wireValue;
    }

    public int wireValue() {
        return wireValue;
    }

    /** Returns the stream with this wire number, or {@code null} for an unknown one. */
    public static ShellStream fromWireValue(int value) {
        for (ShellStream stream : values()) {
            if (stream.wireValue == value) {
                return stream;
            }
        }
        return null;
    }
}
