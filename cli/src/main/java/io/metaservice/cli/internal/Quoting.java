package io.metaservice.cli.internal;

/** Bounds and escapes text from the guest before it goes into a message. */
final class Quoting {

    /** Maximum number of characters of a guest-supplied value that a message quotes. */
    static final int MAX_QUOTED_CHARS = 200;

    private Quoting() {
    }

    /** Returns {@code text} in single quotes, control characters escaped, cut at the limit. */
    static String quote(String text) {
        StringBuilder quoted = new StringBuilder("'");
        int end = Math.min(text.length(), MAX_QUOTED_CHARS);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\x%02x", (int) c));
            } else if (c == '\'' || c == '\\') {
                quoted.append('\\').append(c);
            } else {
                quoted.append(c);
            }
        }
        quoted.append('\'');
        if (text.length() > end) {
            quoted.append("... (").append(text.length()).append(" characters)");
        }
        return quoted.toString();
    }
}
