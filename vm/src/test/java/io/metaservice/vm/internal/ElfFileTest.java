package io.metaservice.vm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfFileTest {

    @TempDir
    Path temporary;

    @Test
    void modinfoReadsDependsAndName() throws IOException {
        byte[] module = moduleWithModinfo("license=GPL\0depends=virtio,virtio_ring\0name=virtio_pci\0"
                + "vermagic=6.1.0 SMP\0");

        Map<String, String> info = ElfFile.modinfo(module);

        assertThat(info).containsEntry("depends", "virtio,virtio_ring");
        assertThat(info).containsEntry("name", "virtio_pci");
        assertThat(info).containsEntry("vermagic", "6.1.0 SMP");
    }

    @Test
    void modinfoRejectsNonElf() {
        assertThatThrownBy(() -> ElfFile.modinfo("not an ELF file at all, but long enough to hold a header"
                .repeat(2).getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not an ELF file");
    }

    @Test
    void modinfoRejectsSectionTableBeyondEnd() {
        byte[] module = moduleWithModinfo("name=x\0");
        ByteBuffer.wrap(module).order(ByteOrder.LITTLE_ENDIAN).putLong(0x28, module.length - 10);

        assertThatThrownBy(() -> ElfFile.modinfo(module)).isInstanceOf(IOException.class);
    }

    @Test
    void pvhNoteFound() throws IOException {
        Path kernel = temporary.resolve("vmlinux");
        Files.write(kernel, kernelWithNote("Xen\0", 18));

        assertThat(ElfFile.hasPvhEntry(kernel)).isTrue();
    }

    @Test
    void otherNoteIsNotPvh() throws IOException {
        Path kernel = temporary.resolve("vmlinux");
        Files.write(kernel, kernelWithNote("GNU\0", 3));

        assertThat(ElfFile.hasPvhEntry(kernel)).isFalse();
    }

    /** Returns a minimal ELF-64 file with a null section, .shstrtab and .modinfo. */
    static byte[] moduleWithModinfo(String modinfo) {
        byte[] names = "\0.shstrtab\0.modinfo\0".getBytes(StandardCharsets.US_ASCII);
        byte[] info = modinfo.getBytes(StandardCharsets.US_ASCII);
        int namesOffset = 64;
        int infoOffset = namesOffset + names.length;
        int sectionOffset = align8(infoOffset + info.length);
        ByteBuffer elf = ByteBuffer.allocate(sectionOffset + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        header(elf);
        elf.putLong(0x28, sectionOffset);
        elf.putShort(0x3A, (short) 64);
        elf.putShort(0x3C, (short) 3);
        elf.putShort(0x3E, (short) 1);
        elf.put(namesOffset, names);
        elf.put(infoOffset, info);
        section(elf, sectionOffset + 64, 1, namesOffset, names.length);
        section(elf, sectionOffset + 128, 11, infoOffset, info.length);
        return elf.array();
    }

    private static byte[] kernelWithNote(String name, int type) {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        int noteSize = 12 + align4(nameBytes.length) + 4;
        int programOffset = 64;
        int noteOffset = programOffset + 56;
        ByteBuffer elf = ByteBuffer.allocate(noteOffset + noteSize).order(ByteOrder.LITTLE_ENDIAN);
        header(elf);
        elf.putLong(0x20, programOffset);
        elf.putShort(0x36, (short) 56);
        elf.putShort(0x38, (short) 1);
        elf.putInt(programOffset, 4);
        elf.putLong(programOffset + 0x08, noteOffset);
        elf.putLong(programOffset + 0x20, noteSize);
        elf.putInt(noteOffset, nameBytes.length);
        elf.putInt(noteOffset + 4, 4);
        elf.putInt(noteOffset + 8, type);
        elf.put(noteOffset + 12, nameBytes);
        return elf.array();
    }

    private static void header(ByteBuffer elf) {
        elf.putInt(0, 0x464C457F);
        elf.put(4, (byte) 2);
        elf.put(5, (byte) 1);
    }

    private static void section(ByteBuffer elf, int at, int nameOffset, long offset, long size) {
        elf.putInt(at, nameOffset);
        elf.putLong(at + 0x18, offset);
        elf.putLong(at + 0x20, size);
    }

    private static int align8(int value) {
        return (value + 7) & ~7;
    }

    private static int align4(int value) {
        return (value + 3) & ~3;
    }
}
