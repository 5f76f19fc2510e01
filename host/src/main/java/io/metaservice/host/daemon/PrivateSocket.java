package io.metaservice.host.daemon;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;

/**
 * Creates a Unix domain socket that only its owner can use, without a moment in which others
 * could connect: the server binds inside a new owner-only folder next to the target, the
 * socket is restricted to mode {@code 0600}, then renamed to the target path.
 *
 * <p>Use: {@link #prepare}, bind the server to {@link #temporaryPath()}, {@link #publish()},
 * and close this object in every case.
 */
public final class PrivateSocket implements AutoCloseable {

    private final Path target;
    private final Path folder;
    private final Path temporary;

    private PrivateSocket(Path target, Path folder, Path temporary) {
        this.target = target;
        this.folder = folder;
        this.temporary = temporary;
    }

    /**
     * Checks the target path, removes a stale socket left there by a process that has gone,
     * and creates the private folder to bind in.
     *
     * @throws IOException when the path is too long, its folder is missing, or it is taken by
     *     a file that is not a socket or by a socket that accepts connections
     */
    public static PrivateSocket prepare(Path socket) throws IOException {
        Path target = socket.toAbsolutePath().normalize();
        requireShortEnough(target);
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IOException("the folder " + parent + " does not exist; create it first");
        }
        removeStale(target);
        Path folder = Files.createTempDirectory(parent, ".metaservice-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path temporary = folder.resolve("s");
        try {
            requireShortEnough(temporary);
        } catch (IOException e) {
            Files.deleteIfExists(folder);
            throw new IOException(e.getMessage() + " (the socket is bound in " + folder
                    + " first); choose a shorter path", e);
        }
        return new PrivateSocket(target, folder, temporary);
    }

    public Path temporaryPath() {
        return temporary;
    }

    /** Restricts the bound socket to its owner and moves it to the target path. */
    public void publish() throws IOException {
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes the private folder, and the socket if it was not published. */
    @Override
    public void close() throws IOException {
        Files.deleteIfExists(temporary);
        Files.deleteIfExists(folder);
    }

    private static void requireShortEnough(Path path) throws IOException {
        int length = path.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length >= UnixDomainServerConnector.MAX_UNIX_DOMAIN_PATH_LENGTH) {
            throw new IOException("the socket path " + path + " has " + length
                    + " bytes; Unix domain socket paths must be shorter than "
                    + UnixDomainServerConnector.MAX_UNIX_DOMAIN_PATH_LENGTH + " bytes");
        }
    }

    private static void removeStale(Path target) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!attributes.isOther()) {
            throw new IOException(target + " exists and is not a socket; remove it or choose another path");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(target));
        } catch (IOException refused) {
            // No process accepts connections on it: a socket left behind by one that has gone.
            Files.deleteIfExists(target);
            return;
        }
        throw new IOException(target + " is a socket that another process listens on;"
                + " stop that process or choose another path");
    }
}
