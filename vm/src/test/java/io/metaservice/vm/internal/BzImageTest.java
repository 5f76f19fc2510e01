package io.metaservice.vm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

class BzImageTest {

    @TempDir
    Path temporary;

    @Test
    void xzPayloadUnpacksToElf() throws IOException {
        byte[] kernel = fakeElf();
        Path bzImage = temporary.resolve("vmlinuz");
        Files.write(bzImage, bzImage(xz(kernel)));
        Path target = temporary.resolve("vmlinux");

        BzImage.Compression compression = BzImage.extractElf(bzImage, target);

        assertThat(compression).isEqualTo(BzImage.Compression.XZ);
        assertThat(Files.readAllBytes(target)).isEqualTo(kernel);
    }

    @Test
    void gzipPayloadUnpacksToElf() throws IOException {
        byte[] kernel = fakeElf();
        Path bzImage = temporary.resolve("vmlinuz");
        Files.write(bzImage, bzImage(gzip(kernel)));
        Path target = temporary.resolve("vmlinux");

        assertThat(BzImage.extractElf(bzImage, target)).isEqualTo(BzImage.Compression.GZIP);
        assertThat(Files.readAllBytes(target)).isEqualTo(kernel);
    }

    @Test
    void otherCompressionWritesNothing() throws IOException {
        Path bzImage = temporary.resolve("vmlinuz");
        Files.write(bzImage, bzImage(new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD, 1, 2, 3, 4}));
        Path target = temporary.resolve("vmlinux");

        assertThat(BzImage.extractElf(bzImage, target)).isEqualTo(BzImage.Compression.OTHER);
        assertThat(target).doesNotExist();
    }

    @Test
    void nonElfPayloadRejected() throws IOException {
        Path bzImage = temporary.resolve("vmlinuz");
        Files.write(bzImage, bzImage(gzip(new byte[] {1, 2, 3, 4, 5})));
        Path target = temporary.resolve("vmlinux");

        assertThatThrownBy(() -> BzImage.extractElf(bzImage, target))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("did not unpack to an ELF kernel");
        assertThat(target).doesNotExist();
    }

    @Test
    void fileWithoutSetupHeaderRejected() throws IOException {
        Path notKernel = temporary.resolve("vmlinuz");
        Files.write(notKernel, new byte[4096]);

        assertThatThrownBy(() -> BzImage.extractElf(notKernel, temporary.resolve("vmlinux")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not an x86 bzImage");
    }

    @Test
    void payloadBeyondEndRejected() throws IOException {
        byte[] image = bzImage(gzip(fakeElf()));
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(0x24C, image.length);
        Path bzImage = temporary.resolve("vmlinuz");
        Files.write(bzImage, image);

        assertThatThrownBy(() -> BzImage.extractElf(bzImage, temporary.resolve("vmlinux")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("beyond the end");
    }

    /** Lays out a bzImage: one setup sector, then 16 bytes of code, the payload and its size. */
    private static byte[] bzImage(byte[] payload) {
        int setupSectors = 1;
        int payloadOffset = 16;
        int start = (setupSectors + 1) * 512;
        ByteBuffer image = ByteBuffer.allocate(start + payloadOffset + payload.length + 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        image.put(0x1F1, (byte) setupSectors);
        image.putInt(0x202, 0x53726448);
        image.putShort(0x206, (short) 0x020F);
        image.putInt(0x248, payloadOffset);
        image.putInt(0x24C, payload.length + 4);
        image.put(start + payloadOffset, payload);
        image.putInt(start + payloadOffset + payload.length, 12345);
        return image.array();
    }

    private static byte[] fakeElf() {
        byte[] kernel = new byte[100_000];
        new Random(7).nextBytes(kernel);
        kernel[0] = 0x7F;
        kernel[1] = 'E';
        kernel[2] = 'L';
        kernel[3] = 'F';
        return kernel;
    }

    private static byte[] xz(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new XZOutputStream(bytes, new LZMA2Options())) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
