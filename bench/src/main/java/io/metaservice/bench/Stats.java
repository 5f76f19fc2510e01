package io.metaservice.bench;

import java.util.Arrays;

/** Percentiles of a sample of durations in nanoseconds. */
final class Stats {

    private final long[] sorted;

    Stats(long[] nanos) {
        this.sorted = nanos.clone();
        Arrays.sort(sorted);
    }

    /** Returns the nearest-rank percentile, in milliseconds, for {@code p} in (0, 100]. */
    double percentileMillis(double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    double maxMillis() {
        return sorted[sorted.length - 1] / 1e6;
    }

    static double mibPerSecond(long bytes, long nanos) {
        return bytes / (1024.0 * 1024.0) / (nanos / 1e9);
    }
}
