package io.metaservice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code metaservice} command in a separate JVM, started as
 * {@code java -cp <test class path> io.metaservice.cli.Main ...}, with its standard output and
 * standard error collected. {@link #close()} kills it and every process it started, if they
 * are still alive.
 */
final class CliProcess implements AutoCloseable {

    private final Process process;
    private final OutputCollector stdout;
    private final OutputCollector stderr;
    /** Every descendant seen so far, so that orphans can be killed too. */
    private final List<ProcessHandle> seen = new ArrayList<>();

    private CliProcess(Process process) {
        this.process = process;
        this.stdout = new OutputCollector(process.getInputStream(), "cli-stdout-" + process.pid());
        this.stderr = new OutputCollector(process.getErrorStream(), "cli-stderr-" + process.pid());
    }

    /** Starts the command in {@code workdir} with its standard input closed. */
    static CliProcess start(Path workdir, String... args) throws IOException {
        return startWithClassPath(System.getProperty("java.class.path"), workdir, args);
    }

    /** Starts the command with the given class path, in {@code workdir}. */
    static CliProcess startWithClassPath(String classPath, Path workdir, String... args)
            throws IOException {
        return start(new ProcessBuilder(command(classPath, args)).directory(workdir.toFile()));
    }

    /** Starts the command in {@code workdir} with {@code environment} added to this JVM's. */
    static CliProcess startWithEnvironment(Map<String, String> environment, Path workdir,
            String... args) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command(System.getProperty("java.class.path"), args))
                .directory(workdir.toFile());
        builder.environment().putAll(environment);
        return start(builder);
    }

    /** Starts the command in {@code workdir} with its standard output written to {@code file}. */
    static CliProcess startWithOutputFile(Path file, Path workdir, String... args) throws IOException {
        return start(new ProcessBuilder(command(System.getProperty("java.class.path"), args))
                .directory(workdir.toFile())
                .redirectOutput(file.toFile()));
    }

    /**
     * Starts {@code bash -c 'COMMAND | CONSUMER'} in {@code workdir}, where COMMAND is this
     * command. Its exit code is that of the command, and its standard output that of
     * {@code consumer}.
     */
    static CliProcess startPipedInto(String consumer, Path workdir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "\"$@\" | " + consumer + "; exit \"${PIPESTATUS[0]}\"", "bash"));
        command.addAll(command(System.getProperty("java.class.path"), args));
        return start(new ProcessBuilder(command).directory(workdir.toFile()));
    }

    /**
     * Starts {@code command}, such as the launcher script with its arguments, in {@code workdir}
     * with {@code environment} added to this JVM's.
     */
    static CliProcess startCommand(List<String> command, Map<String, String> environment, Path workdir)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workdir.toFile());
        builder.environment().putAll(environment);
        return start(builder);
    }

    private static List<String> command(String classPath, String... args) {
        List<String> command = new ArrayList<>();
        command.add(javaCommand());
        command.add("-cp");
        command.add(classPath);
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        return command;
    }

    private static CliProcess start(ProcessBuilder builder) throws IOException {
        Process process = builder.start();
        process.getOutputStream().close();
        return new CliProcess(process);
    }

    /** Runs the command to its end and returns it, for the checks of its exit code and output. */
    static CliProcess run(Path workdir, String... args) throws Exception {
        CliProcess cli = start(workdir, args);
        try {
            cli.awaitExit(TestLimits.COMMAND);
            return cli;
        } finally {
            cli.close();
        }
    }

    /** Returns the java launcher of the test JVM. */
    static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    long pid() {
        return process.pid();
    }

    OutputCollector stdout() {
        return stdout;
    }

    OutputCollector stderr() {
        return stderr;
    }

    /** Remembers the current descendants, so that {@link #close()} can kill them as orphans. */
    void recordDescendants() {
        process.descendants().filter(handle -> !seen.contains(handle)).forEach(seen::add);
    }

    List<ProcessHandle> descendantsSeen() {
        recordDescendants();
        return List.copyOf(seen);
    }

    /** Waits for the exit and the end of both outputs; returns the exit code. */
    int awaitExit(Duration limit) throws Exception {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("the command did not exit within " + limit
                    + "; standard error:\n" + stderr.text());
        }
        stdout.awaitEnd(TestLimits.OUTPUT);
        stderr.awaitEnd(TestLimits.OUTPUT);
        return process.exitValue();
    }

    /** Sends SIGTERM, as a service manager does to stop the command. */
    void terminate() {
        recordDescendants();
        process.destroy();
    }

    /** Asserts the exit code, showing standard error when it differs. */
    void assertExitCode(int expected) {
        assertThat(process.exitValue())
                .as("exit code; standard error:%n%s", stderr.text())
                .isEqualTo(expected);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            recordDescendants();
            process.destroyForcibly();
        }
        for (ProcessHandle handle : seen) {
            if (handle.isAlive()) {
                handle.destroyForcibly();
            }
        }
    }
}
