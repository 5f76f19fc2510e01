package io.metaservice.cli.internal;

import io.metaservice.host.Artifact;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.MetaService;
import io.metaservice.host.ResourceNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls the requested artifacts from the guest into an {@link ArtifactStore}. Each request is
 * first fetched as a file. When the guest reports no such file, the request is listed as a
 * folder and every listed file is fetched. Messages for the user go to {@code err}.
 *
 * <p>The collection stops early, with one line that names what was not collected, when the
 * guest is gone or does not answer: after a host operation fails without a retry once
 * {@code guestGone} has completed, and after {@link #MAX_CONSECUTIVE_TIMEOUTS} operations in a
 * row have failed every attempt with a retryable error, such as a time-out.
 *
 * <p>Confined to the thread that calls {@link #collect}.
 */
public final class ArtifactCollector {

    private static final Logger LOG = LoggerFactory.getLogger(ArtifactCollector.class);

    /**
     * Host operations in a row that may fail every attempt with a retryable error before the
     * collection stops. With the default time-outs, each such operation has taken three attempts
     * of 30 to 60 seconds.
     */
    public static final int MAX_CONSECUTIVE_TIMEOUTS = 2;

    private final MetaService service;
    private final ArtifactStore store;
    private final Optional<List<String>> guestWorkdir;
    private final CompletableFuture<String> guestGone;
    private final PrintStream err;

    private int files;
    private long bytes;
    private final List<String> missing = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    /** Host operations in a row that failed with a retryable error. */
    private int consecutiveTimeouts;
    /** Why the collection stopped early, or null while it goes on. */
    private String stopReason;
    /** Listed files of the folder in progress that were not fetched because the collection stopped. */
    private int unfetchedFiles;

    /**
     * Creates a collector. {@code guestWorkdir} contains the names of the guest's working
     * folder when it is known, so that the files of relative folders are placed without a guess.
     * {@code guestGone} completes with a reason, such as "the guest agent exited with status 1",
     * once the guest can no longer answer; complete it before stopping the service's pollers.
     */
    public ArtifactCollector(MetaService service, ArtifactStore store,
            Optional<List<String>> guestWorkdir, CompletableFuture<String> guestGone, PrintStream err) {
        this.service = service;
        this.store = store;
        this.guestWorkdir = guestWorkdir;
        this.guestGone = guestGone;
        this.err = err;
    }

    /** Pulls every request in order and returns what was written, missing and failed. */
    public Outcome collect(List<ArtifactRequest> requests) throws InterruptedException {
        List<String> notCollected = new ArrayList<>();
        for (ArtifactRequest request : requests) {
            if (stopReason != null) {
                notCollected.add(request.requested());
                markFailed(request);
                continue;
            }
            int filesBefore = files;
            long bytesBefore = bytes;
            boolean found = collectFile(request) || collectFolder(request);
            if (found && !failed.contains(request.requested())) {
                err.println("metaservice: artifact " + request.requested() + ": "
                        + countOf(files - filesBefore, "file") + ", "
                        + countOf(bytes - bytesBefore, "byte") + " written below " + store.root());
            }
        }
        if (stopReason != null) {
            printStop(notCollected);
        }
        return new Outcome(files, bytes, missing, failed);
    }

    private void printStop(List<String> notCollected) {
        StringBuilder line = new StringBuilder("metaservice: stopped collecting artifacts: ")
                .append(stopReason);
        if (unfetchedFiles > 0) {
            line.append("; ").append(countOf(unfetchedFiles, "listed file")).append(" not fetched");
        }
        if (!notCollected.isEmpty()) {
            line.append("; not collected: ").append(String.join(", ", notCollected));
        }
        err.println(line);
    }

    /** Fetches the request as a file; returns false when the guest has no such file. */
    private boolean collectFile(ArtifactRequest request) throws InterruptedException {
        try (Artifact artifact = service.getArtifact(request.guestPath())) {
            consecutiveTimeouts = 0;
            write(request, request.destination(), artifact);
        } catch (ResourceNotFoundException e) {
            consecutiveTimeouts = 0;
            LOG.debug("artifact {} is not a file, listing it as a folder", request.guestPath());
            return false;
        } catch (HostOperationException e) {
            failOperation(request, e);
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
            consecutiveTimeouts = 0;
        } catch (ResourceNotFoundException e) {
            consecutiveTimeouts = 0;
            missing.add(request.requested());
            err.println("metaservice: artifact " + request.requested()
                    + " not found: the guest has no such file or folder");
            return false;
        } catch (HostOperationException e) {
            failOperation(request, e);
            return true;
        }

        Optional<List<String>> folder = request.listedFolder(guestWorkdir);
        for (int index = 0; index < listed.size(); index++) {
            if (stopReason != null) {
                unfetchedFiles += listed.size() - index;
                break;
            }
            String path = listed.get(index);
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
            consecutiveTimeouts = 0;
            write(request, destination, artifact);
        } catch (ResourceNotFoundException e) {
            consecutiveTimeouts = 0;
            fail(request, "the listed file " + Quoting.quote(path) + " was not found when fetched");
        } catch (HostOperationException e) {
            failOperation(request, e);
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
        } catch (InvalidPathException e) {
            fail(request, "cannot write " + Quoting.quote(String.join("/", destination)) + " below "
                    + store.root() + ": file names are encoded as "
                    + System.getProperty("sun.jnu.encoding") + " in this locale, which cannot encode"
                    + " that name; run under a UTF-8 locale, such as with LC_ALL=C.UTF-8");
        }
    }

    /** Returns a count with its noun, such as "1 file" or "2 files". */
    public static String countOf(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    private void fail(ArtifactRequest request, String message) {
        err.println("metaservice: artifact " + request.requested() + " failed: " + message);
        markFailed(request);
    }

    private void markFailed(ArtifactRequest request) {
        if (!failed.contains(request.requested())) {
            failed.add(request.requested());
        }
    }

    /**
     * Records a failed host operation, and stops the collection when the guest is gone or has
     * not answered {@link #MAX_CONSECUTIVE_TIMEOUTS} operations in a row.
     */
    private void failOperation(ArtifactRequest request, HostOperationException e) {
        if (!e.isRetryable() && guestGone.isDone()) {
            LOG.debug("artifact {} failed after the guest was gone: {}", request.requested(), e.getMessage());
            markFailed(request);
            stopReason = guestGone.getNow("the guest is gone");
            return;
        }
        fail(request, e.getMessage());
        if (!e.isRetryable()) {
            return;
        }
        consecutiveTimeouts++;
        if (consecutiveTimeouts >= MAX_CONSECUTIVE_TIMEOUTS) {
            stopReason = "the guest did not answer " + consecutiveTimeouts
                    + " host operations in a row, so it is probably gone";
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
