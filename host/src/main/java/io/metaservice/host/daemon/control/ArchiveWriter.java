package io.metaservice.host.daemon.control;

import io.metaservice.host.Artifact;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.Date;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes fetched files as a POSIX tar stream: regular files only, mode {@code 0644}, no owner,
 * with PAX headers for long names and large sizes. Names must already be checked with
 * {@link io.metaservice.host.daemon.ListedPaths}.
 */
final class ArchiveWriter implements AutoCloseable {

    static final String CONTENT_TYPE = "application/x-tar";
    private static final int FILE_MODE = 0100644;

    private final TarArchiveOutputStream tar;
    private final Date modified = new Date();

    ArchiveWriter(OutputStream out) {
        tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /** Adds the artifact's bytes under {@code name}. */
    void add(String name, Artifact artifact) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(artifact.size());
        entry.setMode(FILE_MODE);
        entry.setModTime(modified);
        tar.putArchiveEntry(entry);
        Files.copy(artifact.path(), tar);
        tar.closeArchiveEntry();
    }

    /**
     * Writes the end-of-archive blocks and closes the stream, which ends the response. After a
     * failure the caller aborts the response instead of calling this.
     */
    @Override
    public void close() throws IOException {
        tar.close();
    }
}
