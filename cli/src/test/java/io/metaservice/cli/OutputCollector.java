package io.metaservice.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one output stream of a process on its own thread and keeps every byte, so that a test
 * can wait for expected output with a time limit. {@code this} guards the buffer and the end
 * flag.
 */
final class OutputCollector {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Thread reader;
    private boolean ended;

    OutputCollector(InputStream in, String name) {
        reader = new Thread(() -> copy(in), name);
        reader.setDaemon(true);
        reader.start();
    }

    synchronized byte[] bytes() {
        return bytes.toByteArray();
    }

    synchronized String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Waits until the stream has ended, so that {@link #bytes()} is complete. */
    void awaitEnd(Duration limit) throws InterruptedException, TimeoutException {
        reader.join(limit.toMillis());
        if (reader.isAlive()) {
            throw new TimeoutException("the stream did not end within " + limit);
        }
    }

    /** Waits until the text contains a match of {@code pattern} and returns the match. */
    Matcher awaitMatch(Pattern pattern, Duration limit) throws InterruptedException, TimeoutException {
        await(content -> pattern.matcher(new String(content, StandardCharsets.UTF_8)).find(),
                limit, "match of " + pattern);
        Matcher matcher = pattern.matcher(text());
        matcher.find();
        return matcher;
    }

    /** Waits until the bytes end with {@code expected}. */
    void awaitEndsWith(byte[] expected, Duration limit) throws InterruptedException, TimeoutException {
        await(content -> content.length >= expected.length && Arrays.equals(
                        content, content.length - expected.length, content.length,
                        expected, 0, expected.length),
                limit, expected.length + " expected bytes");
    }

    private synchronized void await(Predicate<byte[]> condition, Duration limit, String expected)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.test(bytes.toByteArray())) {
            long left = deadline - System.nanoTime();
            if (ended || left <= 0) {
                throw new TimeoutException("no " + expected + " within " + limit
                        + (ended ? " before the stream ended" : "") + "; output so far:\n" + text());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    private void copy(InputStream in) {
        byte[] buffer = new byte[8192];
        try (in) {
            int count;
            while ((count = in.read(buffer)) >= 0) {
                synchronized (this) {
                    bytes.write(buffer, 0, count);
                    notifyAll();
                }
            }
        } catch (IOException ignored) {
            // The process is gone; the bytes read so far are kept.
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }
}
