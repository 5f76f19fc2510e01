package io.metaservice.guest.internal;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Finds the executable file of a task's program the way {@code execvp} does, so that a
 * missing program fails with a clear message before any process starts.
 */
final class ProgramResolver {

    /** The search path of {@code execvp} in glibc 2.36 when {@code PATH} is not set. */
    static final String DEFAULT_PATH =
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private ProgramResolver() {
    }

    /**
     * Returns the absolute path of {@code program}. A name with a slash is taken relative to
     * {@code workdir}. A bare name is searched in {@code searchPath}, where an empty entry
     * means {@code workdir}.
     *
     * @throws TaskStartException if no executable regular file is found
     */
    static Path resolve(String program, String searchPath, Path workdir) throws TaskStartException {
        if (program.isEmpty()) {
            throw new TaskStartException("the task's program name is empty");
        }
        if (program.indexOf('/') >= 0) {
            Path candidate = toPath(workdir, program);
            if (candidate != null && isExecutableFile(candidate)) {
                return candidate;
            }
            throw new TaskStartException("program not found or not executable: " + program);
        }
        String path = searchPath == null ? DEFAULT_PATH : searchPath;
        for (String folder : path.split(":", -1)) {
            Path base = folder.isEmpty() ? workdir : toPath(workdir, folder);
            Path candidate = base == null ? null : toPath(base, program);
            if (candidate != null && isExecutableFile(candidate)) {
                return candidate;
            }
        }
        throw new TaskStartException(
                "program not found: '" + program + "' is in no folder of PATH=" + path);
    }

    private static Path toPath(Path base, String name) {
        try {
            return base.resolve(name).toAbsolutePath();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static boolean isExecutableFile(Path candidate) {
        return Files.isRegularFile(candidate) && Files.isExecutable(candidate);
    }
}
