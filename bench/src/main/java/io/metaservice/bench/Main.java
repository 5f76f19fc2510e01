package io.metaservice.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the benchmarks and prints a Markdown table of each figure with its baseline and ratio.
 *
 * <p>Usage: {@code Main [all|quick|FIGURE...] [--cli-jar PATH] [--tmp DIR] [--out FILE]
 * [--host-jvm-option OPTION]...}. Benchmarks only report: the exit status is non-zero only when
 * a benchmark could not run.
 */
public final class Main {

    /** The figures in the order they run; the name selects one on the command line. */
    static final List<String> FIGURES = List.of("log-one", "log-many", "artifact", "round-trip",
            "idle-1000", "idle-10000", "shell", "startup");

    private Main() {
    }

    /** Sizes of one run: the full sizes, or the quicker subset's. */
    record Sizes(long logOneBytes, long logManyBytesEach, long artifactBytes, int roundTrips,
            int idleActions, long shellBytes, int startupRuns) {

        static final Sizes FULL = new Sizes(2L << 30, 20L << 20, 1L << 30, 5_000, 2_000,
                256L << 20, 5);
        static final Sizes QUICK = new Sizes(256L << 20, 2L << 20, 128L << 20, 500, 300,
                32L << 20, 3);
    }

    public static void main(String[] args) throws Exception {
        Logger.getLogger("").setLevel(Level.WARNING);
        Options options = Options.parse(args);
        Files.createDirectories(options.tmp);
        StringBuilder report = new StringBuilder();
        report.append(machineHeader(options)).append('\n');
        report.append("| figure | value | baseline | ratio | notes |\n");
        report.append("| --- | --- | --- | --- | --- |\n");
        System.out.print(report);
        for (String figure : options.figures) {
            System.err.println("bench: " + figure + " (load average " + loadAverage() + ")");
            long start = System.nanoTime();
            for (Figure row : measure(figure, options)) {
                String line = row.row() + "\n";
                System.out.print(line);
                System.out.flush();
                report.append(line);
            }
            System.err.printf(Locale.ROOT, "bench: %s took %.0f s%n", figure,
                    (System.nanoTime() - start) / 1e9);
        }
        report.append("\nLoad average at the end: ").append(loadAverage()).append('\n');
        if (options.out != null) {
            Files.writeString(options.out, report);
            System.err.println("bench: wrote " + options.out);
        }
    }

    private static List<Figure> measure(String figure, Options options) throws Exception {
        Sizes sizes = options.sizes;
        return switch (figure) {
            case "log-one" -> List.of(LogIngestBench.run("log ingest, one guest", 1,
                    sizes.logOneBytes(), options.tmp));
            case "log-many" -> List.of(LogIngestBench.run("log ingest, 100 guests", 100,
                    sizes.logManyBytesEach(), options.tmp));
            case "artifact" -> List.of(ArtifactBench.download(sizes.artifactBytes(), options.tmp));
            case "round-trip" -> Arrays.asList(ArtifactBench.roundTrip(sizes.roundTrips(), options.tmp));
            case "idle-1000" -> IdleGuestsBench.run(1_000, sizes.idleActions(),
                    options.hostJvmOptions, options.tmp);
            case "idle-10000" -> IdleGuestsBench.run(10_000, sizes.idleActions(),
                    options.hostJvmOptions, options.tmp);
            case "shell" -> ShellBench.run(sizes.shellBytes(), options.tmp);
            case "startup" -> StartupBench.run(sizes.startupRuns(), options.cliJar);
            default -> throw new IllegalArgumentException("unknown figure '" + figure
                    + "'; expected all, quick or one of " + FIGURES);
        };
    }

    private static String machineHeader(Options options) throws IOException {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("date", Instant.now().toString());
        facts.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        facts.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        long memory = ((com.sun.management.OperatingSystemMXBean)
                ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        facts.put("memory", (memory >> 20) + " MiB");
        facts.put("bench JVM options", String.join(" ",
                ManagementFactory.getRuntimeMXBean().getInputArguments()));
        facts.put("bench max heap", (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        facts.put("idle host JVM options", options.hostJvmOptions.isEmpty()
                ? "(JVM defaults)" : String.join(" ", options.hostJvmOptions));
        facts.put("sizes", options.quick ? "quick" : "full");
        facts.put("load average at the start", loadAverage());
        StringBuilder header = new StringBuilder();
        facts.forEach((key, value) -> header.append("- ").append(key).append(": ").append(value).append('\n'));
        return header.toString();
    }

    /** Returns the first three fields of /proc/loadavg, or "unknown" off Linux. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return String.join(" ", fields[0], fields[1], fields[2]);
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The parsed command line. */
    static final class Options {
        final List<String> figures = new ArrayList<>();
        final List<String> hostJvmOptions = new ArrayList<>();
        Sizes sizes = Sizes.FULL;
        boolean quick;
        Path cliJar = Path.of("cli", "target", "metaservice.jar");
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"), "metaservice-bench");
        Path out;

        static Options parse(String[] args) {
            Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "all" -> options.figures.addAll(FIGURES);
                    case "quick" -> {
                        options.figures.addAll(FIGURES);
                        options.sizes = Sizes.QUICK;
                        options.quick = true;
                    }
                    case "--cli-jar" -> options.cliJar = Path.of(value(args, ++i, arg));
                    case "--tmp" -> options.tmp = Path.of(value(args, ++i, arg));
                    case "--out" -> options.out = Path.of(value(args, ++i, arg));
                    case "--host-jvm-option" -> options.hostJvmOptions.add(value(args, ++i, arg));
                    case "--quick-sizes" -> {
                        options.sizes = Sizes.QUICK;
                        options.quick = true;
                    }
                    default -> {
                        if (!FIGURES.contains(arg)) {
                            throw new IllegalArgumentException("unknown argument '" + arg
                                    + "'; expected all, quick, --quick-sizes, --cli-jar PATH, --tmp DIR,"
                                    + " --out FILE, --host-jvm-option OPTION or one of " + FIGURES);
                        }
                        options.figures.add(arg);
                    }
                }
            }
            if (options.figures.isEmpty()) {
                options.figures.addAll(FIGURES);
                options.sizes = Sizes.QUICK;
                options.quick = true;
            }
            return options;
        }

        private static String value(String[] args, int index, String option) {
            if (index >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[index];
        }
    }
}
