package io.metaservice.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The host of the idle-guest figures, in a JVM of its own so that its heap, RSS and threads are
 * not mixed with the load generator's. Arguments: guest count, temporary folder, and the guest
 * path of a 1-byte file. It prints {@code port N}, then answers one command a line on stdin:
 * {@code parked}, {@code probe}, {@code actions COUNT} (p50, p99 and max in ms) and {@code quit}.
 */
public final class IdleHost {

    private IdleHost() {
    }

    public static void main(String[] args) throws Exception {
        int guests = Integer.parseInt(args[0]);
        Path temporaryDirectory = Path.of(args[1]);
        String oneBytePath = args[2];
        try (BenchHost host = new BenchHost(guests, temporaryDirectory);
                BufferedReader commands = new BufferedReader(
                        new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            System.out.println("port " + host.port());
            System.out.flush();
            String line;
            while ((line = commands.readLine()) != null) {
                String[] words = line.trim().split(" ");
                switch (words[0]) {
                    case "parked" -> System.out.println(host.parkedPolls());
                    case "probe" -> System.out.println(ProcessProbe.measure().format()
                            + " " + host.poolThreads());
                    case "actions" -> {
                        Stats stats = ArtifactBench.timeFetches(host, oneBytePath,
                                Integer.parseInt(words[1]));
                        System.out.println(String.format(Locale.ROOT, "%.4f %.4f %.4f",
                                stats.percentileMillis(50), stats.percentileMillis(99),
                                stats.maxMillis()));
                    }
                    case "quit" -> {
                        return;
                    }
                    default -> System.out.println("error: unknown command '" + words[0] + "'");
                }
                System.out.flush();
            }
        }
    }
}
