package io.metaservice.vm.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * The file tree of a guest's initramfs, written as a cpio archive in the "new ASCII" format that
 * the kernel unpacks into its root file system, uncompressed or compressed with gzip.
 *
 * <p>Entries are written sorted by path, parents first, all owned by root. A file keeps the
 * modification time of its source, because class-data sharing archives check the time and size
 * of the jars they were made from. Not thread-safe.
 */
public final class Initramfs {

    private static final int DIRECTORY_MODE = 0755;

    /** Entries by path without the leading slash; "" is never stored. */
    private final Map<String, Node> nodes = new TreeMap<>();
    private final long buildTimeSeconds;

    public Initramfs(long buildTimeSeconds) {
        this.buildTimeSeconds = buildTimeSeconds;
    }

    private sealed interface Node permits Directory, HostFile, Content, Symlink, CharDevice {
    }

    private record Directory(int mode) implements Node {
    }

    private record HostFile(Path source, int mode) implements Node {
    }

    private record Content(byte[] bytes, int mode) implements Node {
    }

    private record Symlink(String target) implements Node {
    }

    private record CharDevice(int major, int minor, int mode) implements Node {
    }

    /** Adds a directory and its missing parents. */
    public void addDirectory(String path) {
        String name = normalize(path);
        addParents(name);
        nodes.putIfAbsent(name, new Directory(DIRECTORY_MODE));
    }

    /** Adds a copy of the host file {@code source}, with its permissions and time. */
    public void addFile(String path, Path source) throws IOException {
        String name = normalize(path);
        addParents(name);
        nodes.put(name, new HostFile(source, permissions(source)));
    }

    /** Adds a file with the given bytes and permission bits. */
    public void addContent(String path, byte[] bytes, int mode) {
        String name = normalize(path);
        addParents(name);
        nodes.put(name, new Content(bytes.clone(), mode));
    }

    /** Adds a UTF-8 text file with the given permission bits. */
    public void addText(String path, String text, int mode) {
        addContent(path, text.getBytes(StandardCharsets.UTF_8), mode);
    }

    public void addSymlink(String path, String target) {
        String name = normalize(path);
        addParents(name);
        nodes.put(name, new Symlink(target));
    }

    /** Adds a character device node, such as {@code /dev/console} (5, 1). */
    public void addCharDevice(String path, int major, int minor, int mode) {
        String name = normalize(path);
        addParents(name);
        nodes.put(name, new CharDevice(major, minor, mode));
    }

    /**
     * Adds the host folder {@code source} below {@code path}: files, folders and symbolic
     * links, which are kept as links.
     */
    public void addTree(String path, Path source) throws IOException {
        addDirectory(path);
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.equals(source)) {
                    continue;
                }
                String name = normalize(path) + "/" + source.relativize(file).toString();
                if (Files.isSymbolicLink(file)) {
                    addSymlink(name, Files.readSymbolicLink(file).toString());
                } else if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                    addDirectory(name);
                } else if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    addFile(name, file);
                }
            }
        }
    }

    /** Writes the archive, compressed with gzip at {@code level} (0 to 9), to {@code target}. */
    public void write(Path target, int level) throws IOException {
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16);
                GZIPOutputStream gzip = new LeveledGzipOutputStream(file, level)) {
            writeArchive(gzip);
        }
    }

    /** Writes the archive without compression to {@code target}. */
    public void writeUncompressed(Path target) throws IOException {
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16)) {
            writeArchive(file);
        }
    }

    private void writeArchive(OutputStream out) throws IOException {
        CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW);
        for (Map.Entry<String, Node> entry : nodes.entrySet()) {
            writeEntry(cpio, entry.getKey(), entry.getValue());
        }
        cpio.finish();
        cpio.flush();
    }

    private void writeEntry(CpioArchiveOutputStream cpio, String name, Node node) throws IOException {
        CpioArchiveEntry entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name);
        entry.setNumberOfLinks(node instanceof Directory ? 2 : 1);
        entry.setTime(buildTimeSeconds);
        byte[] data = null;
        if (node instanceof Directory directory) {
            entry.setMode(CpioConstants.C_ISDIR | directory.mode());
        } else if (node instanceof HostFile file) {
            entry.setMode(CpioConstants.C_ISREG | file.mode());
            entry.setSize(Files.size(file.source()));
            entry.setTime(Files.getLastModifiedTime(file.source()).to(TimeUnit.SECONDS));
        } else if (node instanceof Content content) {
            entry.setMode(CpioConstants.C_ISREG | content.mode());
            data = content.bytes();
        } else if (node instanceof Symlink link) {
            entry.setMode(CpioConstants.C_ISLNK | 0777);
            data = link.target().getBytes(StandardCharsets.UTF_8);
        } else if (node instanceof CharDevice device) {
            entry.setMode(CpioConstants.C_ISCHR | device.mode());
            entry.setRemoteDeviceMaj(device.major());
            entry.setRemoteDeviceMin(device.minor());
        }
        if (data != null) {
            entry.setSize(data.length);
        }
        cpio.putArchiveEntry(entry);
        if (node instanceof HostFile file) {
            try (InputStream in = Files.newInputStream(file.source())) {
                in.transferTo(cpio);
            }
        } else if (data != null) {
            cpio.write(data);
        }
        cpio.closeArchiveEntry();
    }

    private void addParents(String name) {
        int slash = name.lastIndexOf('/');
        while (slash > 0) {
            String parent = name.substring(0, slash);
            if (nodes.putIfAbsent(parent, new Directory(DIRECTORY_MODE)) != null) {
                return;
            }
            slash = parent.lastIndexOf('/');
        }
    }

    private static String normalize(String path) {
        String name = path.startsWith("/") ? path.substring(1) : path;
        if (name.isEmpty() || name.endsWith("/") || name.contains("//") || name.contains("..")) {
            throw new IllegalArgumentException("invalid initramfs path '" + path + "'");
        }
        return name;
    }

    private static int permissions(Path file) throws IOException {
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        int mode = 0;
        for (PosixFilePermission permission : permissions) {
            mode |= 1 << (8 - permission.ordinal());
        }
        return mode;
    }

    /** A gzip stream with a chosen compression level. */
    private static final class LeveledGzipOutputStream extends GZIPOutputStream {
        LeveledGzipOutputStream(OutputStream out, int level) throws IOException {
            super(out, 1 << 16);
            def.setLevel(level);
        }
    }
}
