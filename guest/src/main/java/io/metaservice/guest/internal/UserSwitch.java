package io.metaservice.guest.internal;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Resolves the configured user and builds the command prefix that runs the task as that user
 * with {@code setpriv} or, when that is missing, {@code runuser}. Both come with util-linux.
 *
 * <p>Stateless and thread-safe.
 */
final class UserSwitch {

    /** User names and numeric ids that may be looked up; rejects options and passwd syntax. */
    private static final Pattern VALID_USER =
            Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.$-]{0,255}");
    private static final Path PASSWD = Path.of("/etc/passwd");
    private static final long LOOKUP_TIMEOUT_SECONDS = 10;
    private static final int MAX_LOOKUP_OUTPUT_BYTES = 64 * 1024;

    /** One passwd entry: the name and the numeric user and group ids. */
    record Account(String name, long uid, long gid) {
    }

    private UserSwitch() {
    }

    /**
     * Returns the arguments to put before the task's command so that it runs as {@code user}.
     * The list is empty when the agent already runs as that user.
     *
     * @throws TaskStartException if the user does not exist, or the agent is not root and so
     *     cannot switch users, or no tool to switch users is installed
     */
    static List<String> commandPrefix(String user) throws TaskStartException {
        Account account = lookUp(user);
        long agentUid = new UnixSystem().getUid();
        if (account.uid() == agentUid) {
            return List.of();
        }
        if (agentUid != 0) {
            throw new TaskStartException("cannot run the task as user '" + user + "': the agent"
                    + " runs as uid " + agentUid + ", and only root can switch users");
        }
        Optional<Path> setpriv = findTool("setpriv");
        if (setpriv.isPresent()) {
            return List.of(setpriv.get().toString(), "--reuid=" + account.uid(),
                    "--regid=" + account.gid(), "--init-groups", "--");
        }
        Optional<Path> runuser = findTool("runuser");
        if (runuser.isPresent()) {
            return List.of(runuser.get().toString(), "-u", account.name(), "--");
        }
        throw new TaskStartException("cannot run the task as user '" + user
                + "': neither setpriv nor runuser is installed");
    }

    /**
     * Looks up a user by name or numeric id with {@code getent passwd}, which also queries
     * network user databases, or in {@code /etc/passwd} when {@code getent} is missing.
     */
    static Account lookUp(String user) throws TaskStartException {
        if (!VALID_USER.matcher(user).matches()) {
            throw new TaskStartException("invalid user name: '" + user + "'");
        }
        Optional<String> entry;
        try {
            entry = findTool("getent").isPresent() ? getent(user) : readPasswd(user);
        } catch (IOException e) {
            throw new TaskStartException(
                    "cannot look up user '" + user + "': " + e.getMessage(), e);
        }
        if (entry.isEmpty()) {
            throw new TaskStartException("user '" + user + "' does not exist");
        }
        return parse(entry.get(), user);
    }

    private static Optional<String> getent(String user) throws IOException, TaskStartException {
        Process process = new ProcessBuilder("getent", "passwd", user)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        try (InputStream output = process.getInputStream()) {
            byte[] bytes = output.readNBytes(MAX_LOOKUP_OUTPUT_BYTES);
            if (!process.waitFor(LOOKUP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new TaskStartException("cannot look up user '" + user
                        + "': getent did not finish within " + LOOKUP_TIMEOUT_SECONDS + " s");
            }
            // getent exits with 2 when the key is not found.
            if (process.exitValue() != 0) {
                return Optional.empty();
            }
            String text = new String(bytes, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(text.lines().findFirst().get());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TaskStartException("interrupted while looking up user '" + user + "'", e);
        }
    }

    private static Optional<String> readPasswd(String user) throws IOException {
        boolean numeric = user.chars().allMatch(Character::isDigit);
        for (String line : Files.readAllLines(PASSWD, StandardCharsets.UTF_8)) {
            String[] fields = line.split(":", -1);
            boolean matches = fields[0].equals(user) || numeric && fields[2].equals(user);
            if (fields.length >= 4 && matches) {
                return Optional.of(line);
            }
        }
        return Optional.empty();
    }

    private static Account parse(String entry, String user) throws TaskStartException {
        String[] fields = entry.split(":", -1);
        try {
            return new Account(fields[0], Long.parseLong(fields[2]), Long.parseLong(fields[3]));
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new TaskStartException("invalid passwd entry for user '" + user + "'", e);
        }
    }

    /** Finds a tool in the agent's own {@code PATH}, then in the default search path. */
    static Optional<Path> findTool(String name) {
        String agentPath = System.getenv("PATH");
        String searchPath = agentPath == null
                ? ProgramResolver.DEFAULT_PATH
                : agentPath + ":" + ProgramResolver.DEFAULT_PATH;
        try {
            return Optional.of(ProgramResolver.resolve(name, searchPath, Path.of("/")));
        } catch (TaskStartException e) {
            return Optional.empty();
        }
    }
}
