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
 * sub-folder that cannot be read is skipped. The listing stops growing once its JSON would
 * exceed {@link Protocol#LIST_FOLDER_BODY_LIMIT}, the most that a host reads.
 *
 * <p>Stateless and thread-safe.
 */
public final class FolderLister {

    private static final System.Logger LOG = System.getLogger(FolderLister.class.getName());

    /** JSON bytes around each path: two quotes and a comma. */
    private static final int PER_PATH_OVERHEAD = 3;
    /** Room for {@code {"files":[],"notFound":false}} and escapes of unusual characters. */
    private static final int ENVELOPE_RESERVE = 64 * 1024;

    private FolderLister() {
    }

    /**
     * Lists {@code folder}, which must be absolute. Returns a listing with {@code notFound}
     * true when the folder is missing, is not a folder, or cannot be read.
     */
    public static Files list(Path folder) {
        if (!folder.isAbsolute()) {
            throw new IllegalArgumentException("folder must be absolute: " + folder);
        }
        if (!java.nio.file.Files.isDirectory(folder)) {
            return Files.folderNotFound();
        }
        List<String> files = new ArrayList<>();
        Deque<Path> pending = new ArrayDeque<>();
        try {
            listOne(folder, files, pending);
        } catch (IOException | DirectoryIteratorException | SecurityException e) {
            return Files.folderNotFound();
        }

        long budget = Protocol.LIST_FOLDER_BODY_LIMIT - ENVELOPE_RESERVE;
        long used = jsonSize(files);
        while (!pending.isEmpty()) {
            Path next = pending.pop();
            int before = files.size();
            try {
                listOne(next, files, pending);
            } catch (IOException | DirectoryIteratorException | SecurityException e) {
                LOG.log(System.Logger.Level.DEBUG, "Skipping unreadable folder {0}: {1}",
                        next, e.toString());
            }
            used += jsonSize(files.subList(before, files.size()));
            if (used > budget) {
                LOG.log(System.Logger.Level.WARNING, "Listing of {0} truncated at {1} files:"
                        + " the JSON would exceed {2} bytes", folder,
                        Integer.toString(files.size()), Long.toString(budget));
                // TODO: the reply carries no flag for a truncated listing, so the host cannot
                //  tell it from a complete one.
                break;
            }
        }
        return new Files(files, false);
    }

    /** Adds the regular files of one folder to {@code files} and its sub-folders to pending. */
    private static void listOne(Path folder, List<String> files, Deque<Path> pending)
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
                    files.add(entry.toString());
                } else if (attributes.isDirectory()) {
                    pending.push(entry);
                }
            }
        }
    }

    private static long jsonSize(List<String> paths) {
        long size = 0;
        for (String path : paths) {
            size += path.getBytes(StandardCharsets.UTF_8).length + PER_PATH_OVERHEAD;
        }
        return size;
    }
}
