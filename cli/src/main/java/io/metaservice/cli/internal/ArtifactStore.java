package io.metaservice.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes artifacts below one folder, and nowhere else.
 *
 * <p>Each name must be a single, ordinary file name. Every folder on the way is checked without
 * following symbolic links, so a link below the root cannot send a file elsewhere. A file is
 * written to a new temporary file beside its destination and then renamed over it, which
 * replaces an existing file or symbolic link instead of writing through it. The root itself
 * may be a symbolic link, because the user chose it.
 *
 * <p>Thread-safe as long as no two threads write the same destination.
 */
public final class ArtifactStore {

    /** Prefix of the temporary file that a write fills before the rename. */
    static final String PART_PREFIX = ".metaservice-";
    static final String PART_SUFFIX = ".part";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;

    public ArtifactStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /**
     * Copies {@code content} to the file at {@code names} below the root, creating the folders
     * on the way, and returns the file.
     *
     * @throws UnsafePathException when a name is not a plain file name, or a folder on the way
     *     is a symbolic link or not a folder
     * @throws IOException when a folder or the file cannot be written
     */
    public Path write(List<String> names, InputStream content) throws IOException, UnsafePathException {
        if (names.isEmpty()) {
            throw new UnsafePathException("an artifact needs a file name below " + root);
        }
        for (String name : names) {
            checkName(name);
        }
        Files.createDirectories(root);
        Path folder = root;
        for (String name : names.subList(0, names.size() - 1)) {
            folder = folder.resolve(name);
            ensureFolder(folder);
        }
        Path target = folder.resolve(names.get(names.size() - 1));
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnsafePathException("cannot write artifact " + target + ": a folder is there");
        }

        Path part = folder.resolve(PART_PREFIX + HexFormat.of().formatHex(randomBytes()) + PART_SUFFIX);
        try {
            try (OutputStream out = Files.newOutputStream(
                    part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.transferTo(out);
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(part);
        }
        return target;
    }

    private static void checkName(String name) throws UnsafePathException {
        if (name.isEmpty() || name.equals(".") || name.equals("..")
                || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new UnsafePathException("invalid file name " + Quoting.quote(name)
                    + ": a name must not be empty, '.', '..' or contain '/' or NUL");
        }
    }

    /** Creates {@code folder}, or checks that it is a real folder and not a symbolic link. */
    private static void ensureFolder(Path folder) throws IOException, UnsafePathException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(
                    folder, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            try {
                Files.createDirectory(folder);
                return;
            } catch (FileAlreadyExistsException raced) {
                attributes = Files.readAttributes(
                        folder, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            }
        }
        if (attributes.isSymbolicLink()) {
            throw new UnsafePathException("refusing to write below " + folder
                    + ": it is a symbolic link, which could lead outside the artifacts folder");
        }
        if (!attributes.isDirectory()) {
            throw new UnsafePathException("cannot write below " + folder + ": it is not a folder");
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
