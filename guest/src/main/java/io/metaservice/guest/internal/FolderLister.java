package io.metaservice.guest.internal;

import io.metaservice.protocol.Files;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Lists every regular file below a folder, recursively, as absolute paths, for a
 * {@code list-folder} reply.
 *
 * <p>The folder itself may be reached through a symbolic link. Inside it, links are never
 * followed and never listed, and neither are directories, devices, pipes or sockets. A
 * sub-folder that cannot be read is skipped.
 *
 * <p>The JSON of the listing never exceeds {@link Protocol#LIST_FOLDER_BODY_LIMIT}, the most that
 * a host reads, because a host that cuts the body off gets invalid JSON. Each path is counted
 * before it is added. When the next path does not fit, the listing stops there and is marked
 * {@code truncated}, an extension field that the original service ignores.
 *
 * <p>Stateless and thread-safe.
 */
public final class FolderLister {

    private static final System.Logger LOG = System.getLogger(FolderLister.class.getName());

    /** Bytes of {@code {"files":[],"notFound":false,"truncated":true}}, rounded up. */
    static final int ENVELOPE_BYTES = 64;

    private FolderLister() {
    }

    /**
     * Lists {@code folder}, which must be absolute. Returns a listing with {@code notFound}
     * true when the folder is missing, is not a folder, or cannot be read.
     */
    public static Files list(Path folder) {
        return list(folder, Protocol.LIST_FOLDER_BODY_LIMIT);
    }

    /** Lists {@code folder} so that the JSON of the listing takes at most {@code maxBodyBytes}. */
    static Files list(Path folder, long maxBodyBytes) {
        if (!folder.isAbsolute()) {
            throw new IllegalArgumentException("folder must be absolute: " + folder);
        }
        if (!java.nio.file.Files.isDirectory(folder)) {
            return Files.folderNotFound();
        }
        Listing listing = new Listing(maxBodyBytes - ENVELOPE_BYTES);
        Deque<Path> pending = new ArrayDeque<>();
        try {
            listOne(folder, listing, pending);
        } catch (IOException | DirectoryIteratorException | SecurityException e) {
            return Files.folderNotFound();
        }
        while (!pending.isEmpty() && !listing.truncated) {
            Path next = pending.pop();
            try {
                listOne(next, listing, pending);
            } catch (IOException | DirectoryIteratorException | SecurityException e) {
                LOG.log(System.Logger.Level.DEBUG, "Skipping unreadable folder {0}: {1}",
                        next, e.toString());
            }
        }
        if (listing.truncated) {
            LOG.log(System.Logger.Level.WARNING, "Listing of {0} truncated after {1} files:"
                    + " its JSON would exceed {2} bytes", folder,
                    Integer.toString(listing.files.size()), Long.toString(maxBodyBytes));
        }
        return new Files(listing.files, false, listing.truncated);
    }

    /**
     * Adds the regular files of one folder to {@code listing} and its sub-folders to
     * {@code pending}, until the listing is full.
     */
    private static void listOne(Path folder, Listing listing, Deque<Path> pending)
            throws IOException {
        try (DirectoryStream<Path> entries = java.nio.file.Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                BasicFileAttributes attributes;
                try {
                    attributes = java.nio.file.Files.readAttributes(
                            entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    continue; // removed while listing
                }
                if (attributes.isRegularFile()) {
                    if (!listing.add(entry.toString())) {
                        return;
                    }
                } else if (attributes.isDirectory()) {
                    pending.push(entry);
                }
            }
        }
    }

    /**
     * Returns an upper bound of the bytes that {@code path} takes in the JSON array: its UTF-8
     * bytes, two quotes, a comma, and the escapes that a JSON encoder may write.
     */
    static long jsonSize(String path) {
        long size = path.getBytes(StandardCharsets.UTF_8).length + 3;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '"' || c == '\\') {
                size += 1;
            } else if (c < 0x20) {
                size += 5; // written as a six-character escape
            }
        }
        return size;
    }

    /** The paths listed so far and the JSON bytes left for more. */
    private static final class Listing {

        final List<String> files = new ArrayList<>();
        long bytesLeft;
        boolean truncated;

        Listing(long bytesLeft) {
            this.bytesLeft = bytesLeft;
        }

        /** Adds {@code path} if it fits; otherwise marks the listing truncated and returns false. */
        boolean add(String path) {
            long size = jsonSize(path);
            if (size > bytesLeft) {
                truncated = true;
                return false;
            }
            files.add(path);
            bytesLeft -= size;
            return true;
        }
    }
}
