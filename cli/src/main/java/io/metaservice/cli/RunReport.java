package io.metaservice.cli;

import static io.metaservice.cli.internal.ArtifactCollector.countOf;

import io.metaservice.cli.internal.ArtifactCollector;
import io.metaservice.host.MetaService;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The outcome of one {@code metaservice run}: the task result, the artifacts and any failure of
 * the run itself, printed as one summary line on standard error.
 *
 * <p>Confined to the thread that runs the command.
 */
final class RunReport {

    private final PrintStream err;
    private final Path artifactsDir;

    /** The service whose log bytes the summary counts, or null before it exists. */
    private MetaService service;
    /** The reported task result, or null while none has been reported. */
    private Boolean success;
    /** Outcome of the artifact collector, or null when it did not run. */
    private ArtifactCollector.Outcome artifacts;
    /** Reason the run failed apart from the task, or null when it did not fail. */
    private String failure;
    /** Set when the task log could not be written whole. */
    private boolean logIncomplete;

    RunReport(PrintStream err, Path artifactsDir) {
        this.err = err;
        this.artifactsDir = artifactsDir;
    }

    void watch(MetaService service) {
        this.service = service;
    }

    void result(boolean success) {
        this.success = success;
    }

    void artifacts(ArtifactCollector.Outcome artifacts) {
        this.artifacts = artifacts;
    }

    /** Records that the run failed for a reason other than the task, and prints why. */
    void fail(String message) {
        err.println("metaservice: " + message);
        if (failure == null) {
            failure = "run failed";
        }
    }

    /**
     * Records that the task log could not be written, and prints {@code message}; a null
     * message means that the whole log was written.
     */
    void logWriteFailed(String message) {
        if (message != null) {
            err.println("metaservice: " + message);
            logIncomplete = true;
        }
    }

    void interrupted() {
        if (failure == null) {
            failure = "run interrupted";
        }
    }

    void timedOut(long seconds) {
        err.println("metaservice: the run timed out after " + seconds + " seconds; stopping it");
        failure = "run timed out";
    }

    /** Returns 0 when the task succeeded and its whole log and every artifact were written, else 1. */
    int exitCode() {
        boolean complete = !logIncomplete && (artifacts == null || artifacts.complete());
        return failure == null && Boolean.TRUE.equals(success) && complete ? 0 : 1;
    }

    void printSummary(long elapsedNanos) {
        StringBuilder line = new StringBuilder("metaservice: ");
        if (failure != null) {
            line.append(failure);
        } else if (success == null) {
            line.append("no result reported");
        } else {
            line.append(success ? "task succeeded" : "task failed");
        }
        line.append(String.format(Locale.ROOT, " in %.2f s", elapsedNanos / 1e9));
        line.append("; log ").append(countOf(service == null ? 0 : service.logBytes(), "byte"));
        if (logIncomplete) {
            line.append(" received, not all of them written");
        }
        if (artifacts != null) {
            line.append("; artifacts: ").append(countOf(artifacts.files(), "file")).append(", ")
                    .append(countOf(artifacts.bytes(), "byte")).append(" written to ")
                    .append(artifactsDir);
            if (!artifacts.missing().isEmpty()) {
                line.append("; missing: ").append(String.join(", ", artifacts.missing()));
            }
            if (!artifacts.failed().isEmpty()) {
                line.append("; failed: ").append(String.join(", ", artifacts.failed()));
            }
        }
        err.println(line);
    }
}
