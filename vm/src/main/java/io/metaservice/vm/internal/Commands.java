package io.metaservice.vm.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short host commands that the image build needs, with a time limit and bounded output. */
public final class Commands {

    /** Output kept per command; the rest is read and dropped. */
    private static final int MAX_OUTPUT_BYTES = 1 << 20;

    private Commands() {
    }

    /** The exit status and the merged standard output and standard error of a command. */
    public record Output(int status, String text) {
    }

    /**
     * Runs {@code command} in {@code directory} (null for the current one) and returns its exit
     * status and output. The process is killed when it outlives {@code timeout}.
     *
     * @throws IOException when it cannot start or times out
     */
    public static Output run(List<String> command, Path directory, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        Process process = builder.start();
        process.getOutputStream().close();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> drain(process.getInputStream(), output),
                "metaservice-command-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(command.get(0) + " timed out after " + timeout.toSeconds()
                        + " s: " + String.join(" ", command));
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } finally {
            process.destroyForcibly();
        }
        String text;
        synchronized (output) {
            text = output.toString(StandardCharsets.UTF_8);
        }
        return new Output(process.exitValue(), text);
    }

    /**
     * Runs {@code command} and returns its output.
     *
     * @throws IOException when it fails to start, times out or exits with a non-zero status;
     *     the message ends with the command's output
     */
    public static String check(List<String> command, Path directory, Duration timeout)
            throws IOException, InterruptedException {
        Output output = run(command, directory, timeout);
        if (output.status() != 0) {
            throw new IOException(command.get(0) + " failed with exit status " + output.status()
                    + ": " + String.join(" ", command) + "\n" + tail(output.text(), 4000));
        }
        return output.text();
    }

    /** Returns at most the last {@code maxChars} characters of {@code text}. */
    public static String tail(String text, int maxChars) {
        return text.length() <= maxChars ? text : "..." + text.substring(text.length() - maxChars);
    }

    private static void drain(InputStream in, ByteArrayOutputStream output) {
        byte[] buffer = new byte[8192];
        try (in) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                synchronized (output) {
                    int room = MAX_OUTPUT_BYTES - output.size();
                    output.write(buffer, 0, Math.max(0, Math.min(room, read)));
                }
            }
        } catch (IOException e) {
            // The process was killed; what was read so far is kept.
        }
    }
}
