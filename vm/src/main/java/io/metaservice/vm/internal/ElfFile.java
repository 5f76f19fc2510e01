package io.metaservice.vm.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The few facts read from 64-bit little-endian ELF files here: the {@code .modinfo} section of
 * a kernel module, and whether a kernel has the PVH entry note that lets QEMU boot it
 * uncompressed. Offsets follow the System V ABI ELF-64 layout; every offset read from the file
 * is checked against the file size before use.
 */
public final class ElfFile {

    private static final int ELF_HEADER_SIZE = 64;
    private static final int SECTION_HEADER_SIZE = 64;
    private static final int PROGRAM_HEADER_SIZE = 56;
    private static final int PT_NOTE = 4;
    /** Xen's note type for the 32-bit physical entry point, which QEMU's PVH boot looks for. */
    private static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

    private ElfFile() {
    }

    /**
     * Returns the key-value pairs of a kernel module's {@code .modinfo} section, such as
     * {@code name}, {@code depends} and {@code vermagic}. A key that occurs more than once keeps
     * its first value.
     *
     * @throws IOException when the bytes are not a 64-bit little-endian ELF file or have no
     *     {@code .modinfo} section
     */
    public static Map<String, String> modinfo(byte[] module) throws IOException {
        ByteBuffer elf = checkedHeader(ByteBuffer.wrap(module));
        long sectionOffset = elf.getLong(0x28);
        int entrySize = Short.toUnsignedInt(elf.getShort(0x3A));
        int count = Short.toUnsignedInt(elf.getShort(0x3C));
        int namesIndex = Short.toUnsignedInt(elf.getShort(0x3E));
        if (entrySize < SECTION_HEADER_SIZE || namesIndex >= count
                || !fits(module.length, sectionOffset, (long) entrySize * count)) {
            throw new IOException("invalid ELF section header table");
        }
        int namesHeader = (int) (sectionOffset + (long) namesIndex * entrySize);
        int namesOffset = checkedOffset(module.length, elf.getLong(namesHeader + 0x18),
                elf.getLong(namesHeader + 0x20));
        for (int i = 0; i < count; i++) {
            int header = (int) (sectionOffset + (long) i * entrySize);
            String name = cString(module, namesOffset + elf.getInt(header));
            if (!name.equals(".modinfo")) {
                continue;
            }
            long size = elf.getLong(header + 0x20);
            int offset = checkedOffset(module.length, elf.getLong(header + 0x18), size);
            return parseModinfo(module, offset, (int) size);
        }
        throw new IOException("no .modinfo section: not a kernel module");
    }

    /** Returns whether an uncompressed kernel carries the PVH entry note in a note segment. */
    public static boolean hasPvhEntry(Path kernel) throws IOException {
        try (FileChannel channel = FileChannel.open(kernel, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            ByteBuffer header = checkedHeader(read(channel, 0, ELF_HEADER_SIZE));
            long programOffset = header.getLong(0x20);
            int entrySize = Short.toUnsignedInt(header.getShort(0x36));
            int count = Short.toUnsignedInt(header.getShort(0x38));
            if (entrySize < PROGRAM_HEADER_SIZE || !fits(fileSize, programOffset, (long) entrySize * count)) {
                throw new IOException("invalid ELF program header table in " + kernel);
            }
            ByteBuffer table = read(channel, programOffset, entrySize * count);
            for (int i = 0; i < count; i++) {
                int entry = i * entrySize;
                if (table.getInt(entry) != PT_NOTE) {
                    continue;
                }
                long offset = table.getLong(entry + 0x08);
                long size = table.getLong(entry + 0x20);
                if (!fits(fileSize, offset, size) || size > (1 << 20)) {
                    continue;
                }
                if (hasXenEntryNote(read(channel, offset, (int) size))) {
                    return true;
                }
            }
            return false;
        }
    }

    private static boolean hasXenEntryNote(ByteBuffer notes) {
        int position = 0;
        while (position + 12 <= notes.limit()) {
            int nameSize = notes.getInt(position);
            int descriptionSize = notes.getInt(position + 4);
            int type = notes.getInt(position + 8);
            int nameStart = position + 12;
            if (nameSize < 0 || descriptionSize < 0 || nameStart + (long) nameSize > notes.limit()) {
                return false;
            }
            byte[] name = new byte[nameSize];
            notes.get(nameStart, name);
            if (type == XEN_ELFNOTE_PHYS32_ENTRY
                    && new String(name, StandardCharsets.US_ASCII).equals("Xen\0")) {
                return true;
            }
            position = nameStart + align4(nameSize) + align4(descriptionSize);
        }
        return false;
    }

    private static Map<String, String> parseModinfo(byte[] module, int offset, int size) {
        Map<String, String> fields = new LinkedHashMap<>();
        int start = offset;
        int end = offset + size;
        for (int i = offset; i <= end; i++) {
            if (i == end || module[i] == 0) {
                if (i > start) {
                    String pair = new String(module, start, i - start, StandardCharsets.UTF_8);
                    int equals = pair.indexOf('=');
                    if (equals > 0) {
                        fields.putIfAbsent(pair.substring(0, equals), pair.substring(equals + 1));
                    }
                }
                start = i + 1;
            }
        }
        return fields;
    }

    private static ByteBuffer checkedHeader(ByteBuffer buffer) throws IOException {
        buffer.order(ByteOrder.LITTLE_ENDIAN);
        if (buffer.limit() < ELF_HEADER_SIZE || buffer.getInt(0) != 0x464C457F) {
            throw new IOException("not an ELF file");
        }
        if (buffer.get(4) != 2 || buffer.get(5) != 1) {
            throw new IOException("not a 64-bit little-endian ELF file");
        }
        return buffer;
    }

    private static ByteBuffer read(FileChannel channel, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                throw new IOException("ELF file ends early");
            }
        }
        return buffer.flip();
    }

    private static String cString(byte[] bytes, int offset) throws IOException {
        if (offset < 0 || offset >= bytes.length) {
            throw new IOException("ELF string offset out of range");
        }
        int end = offset;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.US_ASCII);
    }

    private static boolean fits(long fileSize, long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= fileSize && length <= fileSize - offset;
    }

    private static int checkedOffset(int fileSize, long offset, long length) throws IOException {
        if (!fits(fileSize, offset, length)) {
            throw new IOException("ELF section out of range");
        }
        return (int) offset;
    }

    private static int align4(int value) {
        return (value + 3) & ~3;
    }
}
