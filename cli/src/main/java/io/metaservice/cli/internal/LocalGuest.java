package io.metaservice.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.metaservice.protocol.Json;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest agent as a separate local process: {@code metaservice guest ... run} on the same
 * Java runtime and class path as this process, working in a folder of its own.
 *
 * <p>The agent's standard error is inherited. Its standard output is copied to this process's
 * standard error, so that standard output carries the task log only.
 *
 * <p>The agent decodes file names with the charset of its locale. When this process runs under
 * a locale whose charset is not UTF-8, such as C or POSIX, the agent gets {@code LC_ALL=C.UTF-8},
 * so that non-ASCII file names can be listed and fetched; the task inherits that locale.
 * {@code -Dsun.jnu.encoding=UTF-8} would not do: OpenJDK 17 ignores it and takes the charset of
 * file names from the locale.
 */
public final class LocalGuest implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalGuest.class);

    /** The locale of an agent whose parent's locale does not use UTF-8. */
    static final String UTF8_LOCALE = "C.UTF-8";

    /** How long the agent may take to exit after SIGTERM before it gets SIGKILL. */
    public static final Duration STOP_GRACE = Duration.ofSeconds(3);

    private final Process process;
    private final Path workdir;

    private LocalGuest(Process process, Path workdir) {
        this.process = process;
        this.workdir = workdir;
    }

    /**
     * Writes the agent's configuration into {@code runFolder}, creates its working folder
     * {@code runFolder/work}, and starts the agent against {@code hostAndPort}.
     */
    public static LocalGuest start(String hostAndPort, Path runFolder, boolean verbose,
            PrintStream err) throws IOException {
        Path workdir = Files.createDirectory(runFolder.resolve("work")).toRealPath();
        Path config = runFolder.resolve("guest.yaml");
        Files.writeString(config, "workdir: " + yamlString(workdir.toString()) + "\n",
                StandardCharsets.UTF_8);

        List<String> command = new ArrayList<>();
        command.add(javaCommand());
        command.add("-Dfile.encoding=UTF-8");
        if (!verbose) {
            // Read by logback.xml: the agent logs warnings and errors only, like the run itself.
            command.add("-Dmetaservice.log.level=WARN");
        }
        command.add("-cp");
        command.add(absoluteClassPath());
        command.add("io.metaservice.cli.Main");
        if (verbose) {
            command.add("--verbose");
        }
        command.addAll(List.of("guest", "--host", hostAndPort, "--config", config.toString(), "run"));

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workdir.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        String charset = System.getProperty("sun.jnu.encoding", "");
        if (!charset.equalsIgnoreCase("UTF-8")) {
            LOG.debug("file names are decoded as {} here; starting the agent with LC_ALL={}",
                    charset, UTF8_LOCALE);
            builder.environment().put("LC_ALL", UTF8_LOCALE);
        }
        Process process = builder.start();
        process.getOutputStream().close();
        copyInBackground(process.getInputStream(), err, "metaservice-agent-stdout");
        LOG.info("started guest agent, process {}, in {}", process.pid(), workdir);
        return new LocalGuest(process, workdir);
    }

    /** Returns the agent's working folder, a real path without symbolic links. */
    public Path workdir() {
        return workdir;
    }

    public long pid() {
        return process.pid();
    }

    /** Completes with the agent's exit status when the agent process exits. */
    public CompletableFuture<Integer> onExit() {
        return process.onExit().thenApply(Process::exitValue);
    }

    /**
     * Stops the agent and the processes it started: SIGTERM to the agent, then after
     * {@link #STOP_GRACE} SIGKILL to the agent and to each of its descendants that is still
     * alive. Safe to call more than once.
     */
    // NOTE: a process that left the agent's tree before the stop (a daemon that forked twice)
    //  is no longer a descendant and is left to the agent's own clean-up.
    @Override
    public void close() {
        List<ProcessHandle> descendants = process.descendants().toList();
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(process.toHandle(), STOP_GRACE)) {
                LOG.warn("guest agent {} did not exit within {} ms of SIGTERM; killing it",
                        process.pid(), STOP_GRACE.toMillis());
                descendants = union(descendants, process.descendants().toList());
                process.destroyForcibly();
            }
        }
        for (ProcessHandle descendant : descendants) {
            if (descendant.isAlive()) {
                LOG.debug("killing process {} left by the guest agent", descendant.pid());
                descendant.destroyForcibly();
            }
        }
        waitFor(process.toHandle(), STOP_GRACE);
        for (ProcessHandle descendant : descendants) {
            if (!waitFor(descendant, STOP_GRACE)) {
                LOG.warn("process {} left by the guest agent is still alive", descendant.pid());
            }
        }
    }

    private static boolean waitFor(ProcessHandle handle, Duration limit) {
        try {
            handle.onExit().get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    private static List<ProcessHandle> union(List<ProcessHandle> first, List<ProcessHandle> second) {
        List<ProcessHandle> all = new ArrayList<>(first);
        for (ProcessHandle handle : second) {
            if (!all.contains(handle)) {
                all.add(handle);
            }
        }
        return all;
    }

    /** Returns the {@code java} launcher of this process, so the agent runs on the same runtime. */
    private static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Returns this process's class path with absolute entries, because the agent starts in
     * another folder. A jar started with {@code java -jar} is the whole class path.
     */
    private static String absoluteClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** Quotes a YAML scalar; a JSON string is a valid YAML double-quoted scalar. */
    private static String yamlString(String value) throws JsonProcessingException {
        return Json.MAPPER.writeValueAsString(value);
    }

    private static void copyInBackground(InputStream in, PrintStream err, String threadName) {
        Thread copier = new Thread(() -> {
            try (in) {
                in.transferTo(err);
            } catch (IOException e) {
                LOG.debug("stopped copying the agent's standard output: {}", e.toString());
            }
            err.flush();
        }, threadName);
        copier.setDaemon(true);
        copier.start();
    }
}
