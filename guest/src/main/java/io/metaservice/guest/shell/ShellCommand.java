package io.metaservice.guest.shell;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The process of a shell: the arguments, the first an absolute program path, with exactly the
 * variables of {@code environment}, in {@code workdir}, on a terminal when {@code tty}.
 */
record ShellCommand(List<String> argv, Map<String, String> environment, Path workdir,
        boolean tty) {

    ShellCommand {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }
}
