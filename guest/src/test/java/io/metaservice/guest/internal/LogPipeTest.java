package io.metaservice.guest.internal;

import static io.metaservice.guest.TestTimeouts.PROCESS_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LogPipeTest {

    @Test
    void bytesArriveInOrderAcrossWraparound() throws Exception {
        LogPipe pipe = new LogPipe(7);
        byte[] data = new byte[10_000];
        new Random(42).nextBytes(data);

        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            Random sizes = new Random(7);
            int offset = 0;
            try {
                while (offset < data.length) {
                    int length = Math.min(data.length - offset, 1 + sizes.nextInt(20));
                    pipe.write(data, offset, length);
                    offset += length;
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            pipe.closeWriter();
        });
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = pipe.inputStream()) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        writer.get(PROCESS_SECONDS, TimeUnit.SECONDS);
        assertThat(read.get(PROCESS_SECONDS, TimeUnit.SECONDS)).isEqualTo(data);
    }

    @Test
    void readerSeesBufferedBytesBeforeEnd() throws IOException {
        LogPipe pipe = new LogPipe(16);
        pipe.write(new byte[] {1, 2, 3}, 0, 3);
        pipe.closeWriter();

        InputStream in = pipe.inputStream();

        assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
        assertThat(in.read()).isEqualTo(-1);
    }

    @Test
    void abandonReleasesBlockedWriter() throws Exception {
        LogPipe pipe = new LogPipe(4);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                pipe.write(new byte[10], 0, 10);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(writer).isNotDone();

        pipe.abandon();

        writer.get(PROCESS_SECONDS, TimeUnit.SECONDS);
        assertThat(pipe.droppedBytes()).isEqualTo(10);
    }

    @Test
    void writesAfterReaderCloseAreDropped() throws IOException {
        LogPipe pipe = new LogPipe(4);
        pipe.inputStream().close();

        pipe.write(new byte[100], 0, 100);

        assertThat(pipe.droppedBytes()).isEqualTo(100);
    }

    @Test
    void writeAfterCloseWriterFails() {
        LogPipe pipe = new LogPipe(4);
        pipe.closeWriter();

        assertThatThrownBy(() -> pipe.write(new byte[1], 0, 1)).isInstanceOf(IOException.class);
    }
}
