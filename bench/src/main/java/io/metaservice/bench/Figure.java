package io.metaservice.bench;

import java.util.Locale;

/**
 * One measured figure next to its baseline from the same run. For rates the ratio is
 * value / baseline, and for times and sizes it is baseline / value, so a ratio below 1 always
 * means worse than the baseline.
 */
record Figure(String name, double value, double baseline, String unit, boolean higherIsBetter,
        String note) {

    double ratio() {
        if (value == 0 || baseline == 0) {
            return Double.NaN;
        }
        return higherIsBetter ? value / baseline : baseline / value;
    }

    /** Formats the figure as one Markdown table row. */
    String row() {
        return String.format(Locale.ROOT, "| %s | %s %s | %s %s | %.2f | %s |", name,
                format(value), unit, format(baseline), unit, ratio(), note);
    }

    static String format(double number) {
        if (number >= 100 || number == Math.rint(number)) {
            return String.format(Locale.ROOT, "%.0f", number);
        }
        return String.format(Locale.ROOT, "%.2f", number);
    }
}
