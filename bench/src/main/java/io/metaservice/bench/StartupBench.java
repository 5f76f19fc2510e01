package io.metaservice.bench;

import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Start-up: the median wall time from process start to the first request served, for the host
 * alone and for {@code metaservice run -- true} end to end, against {@code java -version} on the
 * same JVM.
 */
final class StartupBench {

    private static final long PROCESS_TIMEOUT_SECONDS = 120;

    private StartupBench() {
    }

    /** Runs each {@code runs} times; {@code cliJar} may be null, which skips the end-to-end figure. */
    static List<Figure> run(int runs, Path cliJar) throws Exception {
        List<String> version = List.of(ChildJvm.javaExecutable(), "-version");
        double baseline = median(runs, () -> timeExit(version));
        List<Figure> figures = new ArrayList<>();
        double firstRequest = median(runs, StartupBench::timeFirstRequest);
        figures.add(new Figure("start-up to first request served", firstRequest, baseline, "ms",
                false, "median of " + runs + "; baseline java -version"));
        if (cliJar != null && Files.isRegularFile(cliJar)) {
            List<String> cli = List.of(ChildJvm.javaExecutable(), "-jar", cliJar.toString(), "run",
                    "--listen", "127.0.0.1:0", "--", "true");
            double endToEnd = median(runs, () -> timeExit(cli));
            figures.add(new Figure("metaservice run -- true", endToEnd, baseline, "ms", false,
                    "median of " + runs + ", end to end"));
        } else {
            System.err.println("bench: no CLI jar at " + cliJar + "; skipping metaservice run");
        }
        return figures;
    }

    private interface Timed {
        long nanos() throws Exception;
    }

    private static double median(int runs, Timed timed) throws Exception {
        timed.nanos();
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            nanos[i] = timed.nanos();
        }
        Arrays.sort(nanos);
        return nanos[runs / 2] / 1e6;
    }

    private static long timeExit(List<String> command) throws Exception {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command + " did not exit within " + PROCESS_TIMEOUT_SECONDS + " s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(command + " exited with status " + process.exitValue());
        }
        return System.nanoTime() - start;
    }

    private static long timeFirstRequest() throws Exception {
        long start = System.nanoTime();
        try (ChildJvm host = ChildJvm.start(ChildJvm.command(List.of(), StartupProbe.class))) {
            String ready = host.readLine();
            int port = Integer.parseInt(ready.substring("port ".length()));
            int status = HttpWire.get(port, Protocol.PING_PATH);
            long nanos = System.nanoTime() - start;
            if (status != 200) {
                throw new IOException("ping returned " + status + ", expected 200");
            }
            return nanos;
        }
    }
}
