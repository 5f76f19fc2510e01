package io.metaservice.protocol.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ShellCodecTest {

    @Test
    void dataRoundTrip() {
        ByteBuffer encoded = ShellCodec.data(ShellStream.STDOUT, ByteBuffer.wrap("hi".getBytes(StandardCharsets.UTF_8)));

        assertThat(bytes(encoded.duplicate())).containsExactly(0, 1, 'h', 'i');
        ShellMessage message = ShellCodec.decode(encoded);
        assertThat(message.type()).isEqualTo(ShellMessage.Type.DATA);
        assertThat(message.stream()).isEqualTo(ShellStream.STDOUT);
        assertThat(StandardCharsets.UTF_8.decode(message.payload()).toString()).isEqualTo("hi");
        assertThat(message.isEndOfStream()).isFalse();
    }

    @Test
    void emptyDataEndsStream() {
        ShellMessage message = ShellCodec.decode(ShellCodec.endOfStream(ShellStream.STDERR));

        assertThat(message.isEndOfStream()).isTrue();
        assertThat(message.stream()).isEqualTo(ShellStream.STDERR);
    }

    @Test
    void ackIsBigEndianUnsigned() {
        ByteBuffer encoded = ShellCodec.ack(ShellStream.STDIN, 0xfffffffeL);

        assertThat(bytes(encoded.duplicate())).containsExactly(1, 0, 0xff, 0xff, 0xff, 0xfe);
        ShellMessage message = ShellCodec.decode(encoded);
        assertThat(message.type()).isEqualTo(ShellMessage.Type.ACK);
        assertThat(message.count()).isEqualTo(0xfffffffeL);
    }

    @Test
    void sizeIsColumnsThenRows() {
        ByteBuffer encoded = ShellCodec.size(100, 37);

        assertThat(bytes(encoded.duplicate())).containsExactly(3, 0, 100, 0, 37);
        ShellMessage message = ShellCodec.decode(encoded);
        assertThat(message.columns()).isEqualTo(100);
        assertThat(message.rows()).isEqualTo(37);
    }

    @Test
    void abortAndExitRoundTrip() {
        assertThat(ShellCodec.decode(ShellCodec.abort()).type()).isEqualTo(ShellMessage.Type.ABORT);
        assertThat(bytes(ShellCodec.exit(true))).containsExactly(5, 0);
        assertThat(bytes(ShellCodec.exit(false))).containsExactly(5, 1);
        assertThat(ShellCodec.decode(ShellCodec.exit(true)).success()).isTrue();
        assertThat(ShellCodec.decode(ShellCodec.exit(false)).success()).isFalse();
    }

    @Test
    void malformedMessagesAreIgnored() {
        int[][] ignored = {
            {},              // empty message
            {2, 0, 0},       // unknown type 2
            {9},             // unknown type 9
            {0},             // data without a stream
            {0, 7, 1},       // data for an unknown stream
            {1, 0, 0, 0},    // ack too short
            {1, 0, 0, 0, 0, 0, 0}, // ack too long
            {3, 0, 1},       // size too short
            {3, 0, 1, 0, 1, 0}, // size too long
            {4, 0},          // abort with a body
            {5},             // exit without status
            {5, 0, 0},       // exit too long
            {5, 2},          // exit with an unknown status
        };
        for (int[] message : ignored) {
            ByteBuffer buffer = ByteBuffer.allocate(message.length);
            for (int b : message) {
                buffer.put((byte) b);
            }
            assertThat(ShellCodec.decode(buffer.flip())).as(java.util.Arrays.toString(message)).isNull();
        }
    }

    @Test
    void encoderRejectsOutOfRangeValues() {
        assertThatThrownBy(() -> ShellCodec.data(ShellStream.STDIN, ByteBuffer.allocate(ShellProtocol.BLOCK_SIZE + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16384");
        assertThatThrownBy(() -> ShellCodec.size(70000, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ShellCodec.ack(ShellStream.STDIN, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void limitsMatchProtocol() {
        assertThat(ShellProtocol.BLOCK_SIZE).isEqualTo(16384);
        assertThat(ShellProtocol.MAX_MESSAGE_SIZE).isEqualTo(20480);
        assertThat(ShellProtocol.WINDOW_SIZE).isEqualTo(65536);
    }

    private static int[] bytes(ByteBuffer buffer) {
        int[] values = new int[buffer.remaining()];
        for (int i = 0; i < values.length; i++) {
            values[i] = buffer.get() & 0xff;
        }
        return values;
    }
}
