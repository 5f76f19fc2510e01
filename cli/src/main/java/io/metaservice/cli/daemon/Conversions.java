package io.metaservice.cli.daemon;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Option converters for sizes and durations, so that an invalid value is a usage error. */
final class Conversions {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|B|K|KiB|M|MiB|G|GiB|T|TiB)");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(|ms|s|m|h)");

    private Conversions() {
    }

    /**
     * Converts a size in bytes: a number with an optional binary suffix, such as {@code 4096},
     * {@code 64KiB}, {@code 10MiB} or {@code 8G}.
     */
    static final class Size implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            Matcher matcher = SIZE.matcher(value.trim());
            if (!matcher.matches()) {
                throw new CommandLine.TypeConversionException("invalid size '" + value
                        + "': expected bytes with an optional suffix KiB, MiB, GiB or TiB, such as 64MiB");
            }
            int shift = switch (matcher.group(2).toUpperCase(Locale.ROOT)) {
                case "K", "KIB" -> 10;
                case "M", "MIB" -> 20;
                case "G", "GIB" -> 30;
                case "T", "TIB" -> 40;
                default -> 0;
            };
            long number;
            try {
                number = Long.parseLong(matcher.group(1));
            } catch (NumberFormatException e) {
                number = -1;
            }
            if (number < 0 || number > (Long.MAX_VALUE >> shift)) {
                throw new CommandLine.TypeConversionException("invalid size '" + value + "': too large");
            }
            return number << shift;
        }
    }

    /**
     * Converts a duration: a number with an optional unit {@code ms}, {@code s}, {@code m} or
     * {@code h}; a bare number is seconds.
     */
    static final class Time implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Matcher matcher = DURATION.matcher(value.trim());
            if (!matcher.matches()) {
                throw new CommandLine.TypeConversionException("invalid duration '" + value
                        + "': expected a number with an optional unit ms, s, m or h, such as 30s");
            }
            long number;
            try {
                number = Long.parseLong(matcher.group(1));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("invalid duration '" + value + "': too large");
            }
            return switch (matcher.group(2)) {
                case "ms" -> Duration.ofMillis(number);
                case "m" -> Duration.ofMinutes(number);
                case "h" -> Duration.ofHours(number);
                default -> Duration.ofSeconds(number);
            };
        }
    }
}
