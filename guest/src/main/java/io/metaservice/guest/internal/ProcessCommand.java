package io.metaservice.guest.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds the argument list that starts a program of the guest: the program found on the
 * {@code PATH} the way {@code execvp} finds it, run as the configured user. Tasks and shells
 * start their processes through it, so both run as the same user.
 *
 * <p>Stateless and thread-safe.
 */
public final class ProcessCommand {

    private ProcessCommand() {
    }

    /**
     * Returns the arguments that run {@code command} as {@code user}, or as the agent's user
     * when it is empty. The program is resolved against {@code searchPath}, the {@code PATH}
     * of the process, and a relative name against {@code workdir}.
     *
     * @throws TaskStartException if the command is empty, the program is not found, or the
     *     user cannot be switched to
     */
    public static List<String> argv(List<String> command, Optional<String> user,
            String searchPath, Path workdir) throws TaskStartException {
        if (command.isEmpty()) {
            throw new TaskStartException("the command is empty");
        }
        List<String> prefix = user.isPresent()
                ? UserSwitch.commandPrefix(user.get())
                : List.of();
        Path program = ProgramResolver.resolve(command.get(0), searchPath, workdir);
        List<String> argv = new ArrayList<>(prefix);
        argv.add(program.toString());
        argv.addAll(command.subList(1, command.size()));
        return argv;
    }

    /**
     * Returns the path of {@code setsid} from util-linux, which starts a program as the leader
     * of a new session, or empty when it is not installed.
     */
    public static Optional<Path> setsid() {
        return UserSwitch.findTool("setsid");
    }
}
