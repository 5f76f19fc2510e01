package io.metaservice.protocol.shell;

import java.time.Duration;

/** Sizes and time-outs of the interactive shell protocol, shared by both ends. */
public final class ShellProtocol {

    /** Largest data payload a sender puts in one message. */
    public static final int BLOCK_SIZE = 16 * 1024;
    /** Largest message a reader accepts; larger ones close the connection. */
    public static final int MAX_MESSAGE_SIZE = BLOCK_SIZE + 4 * 1024;
    /** Bytes of one stream that a sender may have sent but not yet seen acknowledged. */
    public static final int WINDOW_SIZE = 4 * BLOCK_SIZE;
    /** Interval between websocket pings, on both sides. */
    public static final Duration PING_INTERVAL = Duration.ofSeconds(15);
    /** A connection with no pong or other message for this long is given up. */
    public static final Duration SILENCE_TIMEOUT = Duration.ofSeconds(45);
    /** A write that makes no progress for this long fails the connection. */
    public static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    /** Time allowed for the websocket handshake. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    private ShellProtocol() {
    }
}
