package io.metaservice.cli.internal;

import io.metaservice.host.Artifact;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.MetaService;
import io.metaservice.host.ResourceNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls the requested artifacts from the guest into an {@link ArtifactStore}. Each request is
 * first fetched as a file. When the guest reports no such file, the request is listed as a
 * folder and every listed file is fetched. Messages for the user go to {@code err}.
 *
 * <p>Confined to the thread that calls {@link #collect}.
 */
public final class ArtifactCollector {

    private static final Logger LOG = LoggerFactory.getLogger(ArtifactCollector.class);

    private final MetaService service;
    private final ArtifactStore store;
    private final Optional<List<String>> guestWorkdir;
    private final PrintStream err;

    private int files;
    private long bytes;
    private final List<String> missing = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();

    /**
     * Creates a collector. {@code guestWorkdir} contains the names of the guest's working
     * folder when it is known, so that the files of relative folders are placed without a guess.
     */
    public ArtifactCollector(MetaService service, ArtifactStore store,
            Optional<List<String>> guestWorkdir, PrintStream err) {
        this.service = service;
        this.store = store;
        this.guestWorkdir = guestWorkdir;
        this.err = err;
    }

    /** Pulls every request in order and returns what was written, missing and failed. */
    public Outcome collect(List<ArtifactRequest> requests) throws InterruptedException {
        for (ArtifactRequest request : requests) {
            int filesBefore = files;
            long bytesBefore = bytes;
            boolean found = collectFile(request) || collectFolder(request);
            if (found && !failed.contains(request.requested())) {
                err.println("metaservice: artifact " + request.requested() + ": "
                        + countOf(files - filesBefore, "file") + ", "
                        + countOf(bytes - bytesBefore, "byte") + " written below " + store.root());
            }
        }
        return new Outcome(files, bytes, missing, failed);
    }

    /** Fetches the request as a file; returns false when the guest has no such file. */
    private boolean collectFile(ArtifactRequest request) throws InterruptedException {
        try (Artifact artifact = service.getArtifact(request.guestPath())) {
            write(request, request.destination(), artifact);
        } catch (ResourceNotFoundException e) {
            LOG.debug("artifact {} is not a file, listing it as a folder", request.guestPath());
            return false;
        } catch (HostOperationException e) {
            fail(request, e.getMessage());
        } catch (IOException e) {
            fail(request, "cannot remove its temporary file: " + e.getMessage());
        }
        return true;
    }

    /** Lists the request as a folder and fetches each file; returns false when it is missing. */
    private boolean collectFolder(ArtifactRequest request) throws InterruptedException {
        List<String> listed;
        try {
            listed = service.listFolder(request.guestPath());
        } catch (ResourceNotFoundException e) {
            missing.add(request.requested());
            err.println("metaservice: artifact " + request.requested()
                    + " not found: the guest has no such file or folder");
            return false;
        } catch (HostOperationException e) {
            fail(request, e.getMessage());
            return true;
        }

        Optional<List<String>> folder = request.listedFolder(guestWorkdir);
        for (String path : listed) {
            try {
                List<String> names = ListedFiles.names(path);
                if (folder.isEmpty()) {
                    folder = ListedFiles.locateFolder(request.names(), names);
                }
                if (folder.isEmpty()) {
                    throw new UnsafePathException("the guest listed " + Quoting.quote(path)
                            + ", which is not below the requested folder");
                }
                List<String> below = ListedFiles.below(folder.get(), names, path);
                fetchListed(request, path, below);
            } catch (UnsafePathException e) {
                fail(request, e.getMessage());
            }
        }
        return true;
    }

    private void fetchListed(ArtifactRequest request, String path, List<String> below)
            throws InterruptedException {
        List<String> destination = new ArrayList<>(request.destination());
        destination.addAll(below);
        try (Artifact artifact = service.getArtifact(path)) {
            write(request, destination, artifact);
        } catch (ResourceNotFoundException e) {
            fail(request, "the listed file " + Quoting.quote(path) + " was not found when fetched");
        } catch (HostOperationException e) {
            fail(request, e.getMessage());
        } catch (IOException e) {
            fail(request, "cannot remove its temporary file: " + e.getMessage());
        }
    }

    private void write(ArtifactRequest request, List<String> destination, Artifact artifact) {
        try (InputStream content = artifact.openStream()) {
            LOG.debug("writing {} bytes of {} to {}", artifact.size(), artifact.guestPath(), destination);
            store.write(destination, content);
            files++;
            bytes += artifact.size();
        } catch (IOException | UnsafePathException e) {
            fail(request, "cannot write " + String.join("/", destination) + " below " + store.root()
                    + ": " + e.getMessage());
        }
    }

    /** Returns a count with its noun, such as "1 file" or "2 files". */
    public static String countOf(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    private void fail(ArtifactRequest request, String message) {
        err.println("metaservice: artifact " + request.requested() + " failed: " + message);
        if (!failed.contains(request.requested())) {
            failed.add(request.requested());
        }
    }

    /**
     * Result of {@link #collect}.
     *
     * @param files files written
     * @param bytes bytes written
     * @param missing requested paths that the guest has neither as a file nor as a folder
     * @param failed requested paths of which at least one file could not be fetched or written
     */
    public record Outcome(int files, long bytes, List<String> missing, List<String> failed) {

        public Outcome {
            missing = List.copyOf(missing);
            failed = List.copyOf(failed);
        }

        /** Returns whether every requested artifact was written. */
        public boolean complete() {
            return missing.isEmpty() && failed.isEmpty();
        }
    }
}
