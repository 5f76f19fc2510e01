package io.metaservice.host.daemon;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;

/** Creation and checks of the daemon's private folders. */
final class StateDirectory {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private StateDirectory() {
    }

    /**
     * Creates {@code directory} with mode {@code 0700}, or checks that the existing one is a
     * real folder (not a symbolic link) owned by this process's user with no permissions for
     * anyone else, so that no other user can place or read sockets, logs or artifacts there.
     */
    static void preparePrivate(Path directory) throws IOException {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = directory.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            return;
        }
        PosixFileAttributes attributes =
                Files.readAttributes(directory, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory()) {
            throw new IOException(directory + " is not a folder (a symbolic link or a file);"
                    + " choose another state folder");
        }
        UserPrincipal owner = attributes.owner();
        UserPrincipal self = directory.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
        if (!owner.equals(self)) {
            throw new IOException(directory + " belongs to " + owner.getName() + ", not to "
                    + self.getName() + "; choose a state folder of your own");
        }
        Set<PosixFilePermission> wider = EnumSet.copyOf(attributes.permissions());
        wider.retainAll(OTHERS);
        if (!wider.isEmpty()) {
            throw new IOException(directory + " has permissions "
                    + PosixFilePermissions.toString(attributes.permissions())
                    + ", which let other users in; run chmod 700 " + directory);
        }
    }

    /** Creates a new owner-only folder. */
    static void createPrivate(Path directory) throws IOException {
        Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    }

    /** Deletes a folder tree without following symbolic links; missing entries are skipped. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.deleteIfExists(directory);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
