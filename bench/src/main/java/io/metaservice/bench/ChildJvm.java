package io.metaservice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started with this JVM's executable and class path, driven through its stdin and stdout
 * one line at a time. Its stderr goes to this process's stderr.
 */
final class ChildJvm implements AutoCloseable {

    private static final long REPLY_TIMEOUT_SECONDS = 300;

    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    private ChildJvm(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** Returns the command that runs {@code mainClass} with {@code jvmOptions} in a new JVM. */
    static List<String> command(List<String> jvmOptions, Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static ChildJvm start(List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        return new ChildJvm(builder.start());
    }

    long pid() {
        return process.pid();
    }

    /** Reads the next line of output, failing after a bounded wait. */
    String readLine() throws Exception {
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read from child " + process.pid(), e);
            }
        }).get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (line == null) {
            throw new IOException("child " + process.pid() + " exited with status "
                    + process.waitFor() + " before replying");
        }
        return line;
    }

    /** Sends one command and returns the reply line. */
    String ask(String command) throws Exception {
        in.write(command + "\n");
        in.flush();
        return readLine();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            try {
                in.write("quit\n");
                in.close();
            } catch (IOException e) {
                // The child has closed its stdin, so it is exiting already.
            }
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
