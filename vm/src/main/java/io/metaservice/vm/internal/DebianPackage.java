package io.metaservice.vm.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Reads a Debian binary package ({@code .deb}) without installing it: the control fields, and
 * the files of its data archive, streamed one at a time. A package is an ar archive holding
 * {@code debian-binary}, {@code control.tar.*} and {@code data.tar.*}; xz and gzip members are
 * read, zstd is not.
 */
public final class DebianPackage {

    /** Largest control file read; real ones are a few KiB. */
    private static final int MAX_CONTROL_BYTES = 1 << 20;

    private final Path file;

    public DebianPackage(Path file) {
        this.file = file;
    }

    /** Receives the regular files of the data archive, in archive order. */
    @FunctionalInterface
    public interface EntryVisitor {
        /**
         * Handles one regular file. {@code name} is the path without the leading {@code ./};
         * {@code content} is valid only during the call and need not be read to the end.
         */
        void visit(String name, TarArchiveEntry entry, InputStream content) throws IOException;
    }

    /**
     * Returns the fields of the package's {@code control} file, such as {@code Package} and
     * {@code Version}; continuation lines are joined to their field.
     */
    public Map<String, String> controlFields() throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        readMember("control.tar", (name, entry, content) -> {
            if (!name.equals("control")) {
                return;
            }
            byte[] bytes = content.readNBytes(MAX_CONTROL_BYTES);
            String lastKey = null;
            for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                if ((line.startsWith(" ") || line.startsWith("\t")) && lastKey != null) {
                    fields.put(lastKey, fields.get(lastKey) + "\n" + line.strip());
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    lastKey = line.substring(0, colon);
                    fields.put(lastKey, line.substring(colon + 1).strip());
                }
            }
        });
        return fields;
    }

    /** Streams every regular file of the data archive to {@code visitor}. */
    public void readData(EntryVisitor visitor) throws IOException {
        readMember("data.tar", visitor);
    }

    private void readMember(String prefix, EntryVisitor visitor) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                ArArchiveInputStream ar = new ArArchiveInputStream(raw)) {
            ArArchiveEntry member;
            while ((member = ar.getNextEntry()) != null) {
                String name = member.getName();
                if (!name.startsWith(prefix)) {
                    continue;
                }
                try (InputStream tarStream = decompress(name, new BufferedInputStream(ar, 1 << 16));
                        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream)) {
                    visitTar(tar, visitor);
                }
                return;
            }
        }
        throw new IOException(file + " is not a Debian package: it has no " + prefix + " member");
    }

    private InputStream decompress(String member, InputStream in) throws IOException {
        if (member.endsWith(".xz")) {
            return new XZCompressorInputStream(in);
        }
        if (member.endsWith(".gz")) {
            return new GzipCompressorInputStream(in);
        }
        if (member.endsWith(".tar")) {
            return in;
        }
        throw new IOException(file + ": member " + member + " uses a compression that is not"
                + " supported here; xz and gzip are");
    }

    private static void visitTar(TarArchiveInputStream tar, EntryVisitor visitor) throws IOException {
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            if (!entry.isFile()) {
                continue;
            }
            String name = entry.getName();
            if (name.startsWith("./")) {
                name = name.substring(2);
            }
            visitor.visit(name, entry, tar);
        }
    }
}
