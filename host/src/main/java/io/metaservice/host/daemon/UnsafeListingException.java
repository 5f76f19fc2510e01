package io.metaservice.host.daemon;

import java.util.List;

/** A guest's folder listing held paths that must not be written to the host. */
public final class UnsafeListingException extends Exception {

    /** Rejected paths quoted in the message; the rest are counted. */
    static final int MAX_QUOTED = 5;
    private static final int MAX_QUOTED_CHARS = 120;

    private final List<String> rejected;
    private final int rejectedCount;

    UnsafeListingException(String folder, List<String> rejected, int rejectedCount, int listedCount) {
        super("the guest's listing of " + quote(folder) + " has unsafe paths (" + rejectedCount + " of "
                + listedCount + "), so no file was fetched: " + String.join("; ", rejected)
                + (rejectedCount > rejected.size() ? "; ..." : ""));
        this.rejected = List.copyOf(rejected);
        this.rejectedCount = rejectedCount;
    }

    /** Returns the first rejected paths, each with its problem. */
    public List<String> rejected() {
        return rejected;
    }

    public int rejectedCount() {
        return rejectedCount;
    }

    /**
     * Quotes a path from the guest: at most {@value #MAX_QUOTED_CHARS} characters, with NUL and
     * other control characters shown as escapes.
     */
    static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder quoted = new StringBuilder("'");
        for (int i = 0; i < value.length() && i < MAX_QUOTED_CHARS; i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                quoted.append(String.format("\\x%02x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        if (value.length() > MAX_QUOTED_CHARS) {
            quoted.append("...");
        }
        return quoted.append('\'').toString();
    }
}
