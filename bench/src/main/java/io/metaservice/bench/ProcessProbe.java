package io.metaservice.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Heap, resident memory, thread count and CPU time of the current JVM. */
record ProcessProbe(double heapMiB, double rssMiB, int threads, double cpuSeconds) {

    /** Measures after two full collections, so that the heap figure is the live set. */
    static ProcessProbe measure() throws IOException {
        System.gc();
        System.gc();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        double heap = memory.getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
        double rss = residentKiB() / 1024.0;
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        double cpu = ((com.sun.management.OperatingSystemMXBean)
                ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        return new ProcessProbe(heap, rss, threads, cpu);
    }

    /** Returns VmRSS from /proc/self/status, in KiB; Linux only. */
    private static long residentKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS line in /proc/self/status");
    }

    String format() {
        return String.format(Locale.ROOT, "%.3f %.3f %d %.3f", heapMiB, rssMiB, threads, cpuSeconds);
    }

    static ProcessProbe parse(String text) {
        String[] parts = text.trim().split(" ");
        return new ProcessProbe(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]),
                Integer.parseInt(parts[2]), Double.parseDouble(parts[3]));
    }
}
