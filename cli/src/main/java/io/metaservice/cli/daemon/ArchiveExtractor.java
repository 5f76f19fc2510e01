package io.metaservice.cli.daemon;

import io.metaservice.cli.internal.ArtifactStore;
import io.metaservice.cli.internal.UnsafePathException;
import io.metaservice.host.daemon.ListedPaths;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes the regular files of a tar stream below one folder, through an {@link ArtifactStore},
 * which follows no symbolic link and writes nowhere else. The daemon checks the names it puts in
 * an archive; this checks them again. An entry that is not a regular file, or whose name is not
 * a plain relative path (absolute, with an empty, {@code .} or {@code ..} name, a backslash or
 * a control character), is skipped and reported. A tar header name ends at its first NUL.
 */
final class ArchiveExtractor {

    /** Rejected entries quoted in full; the rest are counted. */
    static final int MAX_REPORTED = 10;

    private ArchiveExtractor() {
    }

    /** The files written and the entries rejected, each with its reason. */
    record Outcome(int files, long bytes, List<String> rejected, int rejectedCount) {
    }

    /**
     * Extracts {@code archive} into {@code store}.
     *
     * @throws IOException when the stream breaks off or a file cannot be written; the files
     *     written before stay
     */
    static Outcome extract(InputStream archive, ArtifactStore store) throws IOException {
        int files = 0;
        long bytes = 0;
        List<String> rejected = new ArrayList<>();
        int rejectedCount = 0;
        TarArchiveInputStream tar = new TarArchiveInputStream(archive);
        for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
            String name = entry.getName();
            String problem = isRegularFile(entry) ? ListedPaths.checkRelative(name) : "is not a regular file";
            if (problem == null) {
                try {
                    store.write(List.of(name.split("/")), tar);
                    files++;
                    bytes += entry.getSize();
                    continue;
                } catch (UnsafePathException e) {
                    problem = e.getMessage();
                }
            }
            rejectedCount++;
            if (rejected.size() < MAX_REPORTED) {
                rejected.add(quote(name) + " " + problem);
            }
        }
        return new Outcome(files, bytes, rejected, rejectedCount);
    }

    /**
     * Returns whether the entry is a regular file by its type flag alone. Commons Compress's
     * {@code isFile()} is also true for links, devices and other types that are not folders.
     */
    private static boolean isRegularFile(TarArchiveEntry entry) {
        byte type = entry.getLinkFlag();
        return type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG;
    }

    /** Quotes an entry name with control characters escaped, at most 200 characters. */
    static String quote(String name) {
        StringBuilder quoted = new StringBuilder("'");
        for (int i = 0; i < name.length() && i < 200; i++) {
            char c = name.charAt(i);
            quoted.append(Character.isISOControl(c) ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return quoted.append(name.length() > 200 ? "...'" : "'").toString();
    }
}
