package io.metaservice.protocol.shell;

import java.nio.ByteBuffer;

/**
 * Encodes and decodes shell messages. Decoding never throws: a message of an unknown type, of a
 * known type with the wrong length, or for an unknown stream returns {@code null}, which the
 * protocol says to ignore. Size limits are the websocket layer's job.
 */
public final class ShellCodec {

    private ShellCodec() {
    }

    /**
     * Decodes one binary websocket message. A data message's payload is a slice of
     * {@code message}, valid as long as {@code message} is.
     */
    public static ShellMessage decode(ByteBuffer message) {
        ByteBuffer bytes = message.slice();
        if (!bytes.hasRemaining()) {
            return null;
        }
        ShellMessage.Type type = ShellMessage.Type.fromWireValue(bytes.get() & 0xff);
        if (type == null) {
            return null;
        }
        int length = bytes.remaining();
        switch (type) {
            case DATA -> {
                if (length < 1) {
                    return null;
                }
                ShellStream stream = ShellStream.fromWireValue(bytes.get() & 0xff);
                return stream == null ? null : ShellMessage.data(stream, bytes.slice());
            }
            case ACK -> {
                if (length != 5) {
                    return null;
                }
                ShellStream stream = ShellStream.fromWireValue(bytes.get() & 0xff);
                long count = Integer.toUnsignedLong(bytes.getInt());
                return stream == null ? null : ShellMessage.ack(stream, count);
            }
            case SIZE -> {
                if (length != 4) {
                    return null;
                }
                int columns = Short.toUnsignedInt(bytes.getShort());
                int rows = Short.toUnsignedInt(bytes.getShort());
                return ShellMessage.size(columns, rows);
            }
            case ABORT -> {
                return length == 0 ? ShellMessage.abort() : null;
            }
            case EXIT -> {
                if (length != 1) {
                    return null;
                }
                int status = bytes.get() & 0xff;
                return status > 1 ? null : ShellMessage.exit(status == 0);
            }
            default -> {
                return null;
            }
        }
    }

    /** Encodes a data message; an empty payload ends the stream. Consumes {@code payload}. */
    public static ByteBuffer data(ShellStream stream, ByteBuffer payload) {
        if (payload.remaining() > ShellProtocol.BLOCK_SIZE) {
            throw new IllegalArgumentException("data payload of " + payload.remaining()
                    + " bytes exceeds the block size of " + ShellProtocol.BLOCK_SIZE);
        }
        ByteBuffer message = ByteBuffer.allocate(2 + payload.remaining());
        message.put((byte) ShellMessage.Type.DATA.wireValue()).put((byte) stream.wireValue()).put(payload);
        return message.flip();
    }

    /** Encodes a data message from part of an array. */
    public static ByteBuffer data(ShellStream stream, byte[] bytes, int offset, int length) {
        return data(stream, ByteBuffer.wrap(bytes, offset, length));
    }

    /** Encodes the end of a stream: a data message with an empty payload. */
    public static ByteBuffer endOfStream(ShellStream stream) {
        return data(stream, ByteBuffer.allocate(0));
    }

    /** Encodes an ack of {@code count} bytes, 0 to 2^32 - 1. */
    public static ByteBuffer ack(ShellStream stream, long count) {
        if (count < 0 || count > 0xffff_ffffL) {
            throw new IllegalArgumentException("ack count " + count + " is outside 0..4294967295");
        }
        ByteBuffer message = ByteBuffer.allocate(6);
        message.put((byte) ShellMessage.Type.ACK.wireValue()).put((byte) stream.wireValue()).putInt((int) count);
        return message.flip();
    }

    /** Encodes a terminal size; each value must fit in 16 bits. */
    public static ByteBuffer size(int columns, int rows) {
        if (columns < 0 || columns > 0xffff || rows < 0 || rows > 0xffff) {
            throw new IllegalArgumentException(
                    "terminal size " + columns + "x" + rows + " is outside 0..65535");
        }
        ByteBuffer message = ByteBuffer.allocate(5);
        message.put((byte) ShellMessage.Type.SIZE.wireValue()).putShort((short) columns).putShort((short) rows);
        return message.flip();
    }

    public static ByteBuffer abort() {
        return ByteBuffer.wrap(new byte[] {(byte) ShellMessage.Type.ABORT.wireValue()});
    }

    public static ByteBuffer exit(boolean success) {
        return ByteBuffer.wrap(new byte[] {(byte) ShellMessage.Type.EXIT.wireValue(), (byte) (success ? 0 : 1)});
    }
}
