package io.metaservice.vm.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the host's shared libraries that the programs of a folder load, with {@code ldd}, so
 * that the guest gets the same glibc that the Java runtime was built against.
 */
public final class SharedLibraries {

    /** {@code libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)}. */
    private static final Pattern RESOLVED = Pattern.compile("^\\s*\\S+ => (/\\S+) \\(0x[0-9a-f]+\\)$");
    /** {@code /lib64/ld-linux-x86-64.so.2 (0x...)}, the dynamic loader. */
    private static final Pattern DIRECT = Pattern.compile("^\\s*(/\\S+) \\(0x[0-9a-f]+\\)$");
    private static final Pattern MISSING = Pattern.compile("^\\s*(\\S+) => not found$");
    private static final Duration LDD_TIMEOUT = Duration.ofSeconds(60);

    private SharedLibraries() {
    }

    /**
     * Returns the absolute host paths of the libraries that the ELF programs and libraries below
     * {@code folder} need, outside {@code folder} itself.
     *
     * @throws IOException when {@code ldd} fails or a library is not found on the host
     */
    public static Set<Path> neededBy(Path folder, Path ldd) throws IOException, InterruptedException {
        Set<Path> libraries = new TreeSet<>();
        List<Path> binaries;
        try (Stream<Path> files = Files.walk(folder)) {
            binaries = files.filter(Files::isRegularFile).filter(SharedLibraries::isElf).toList();
        }
        Path root = folder.toAbsolutePath().normalize();
        // The runtime finds its own libraries, such as libjvm.so, through its own paths, which ldd
        // does not know.
        Set<String> ownNames = new TreeSet<>();
        for (Path binary : binaries) {
            ownNames.add(binary.getFileName().toString());
        }
        for (Path binary : binaries) {
            Commands.Output output = Commands.run(List.of(ldd.toString(), binary.toString()), null,
                    LDD_TIMEOUT);
            if (output.text().contains("not a dynamic executable")) {
                continue;
            }
            for (String line : output.text().split("\n")) {
                Matcher missing = MISSING.matcher(line);
                if (missing.matches() && !ownNames.contains(missing.group(1))) {
                    throw new IOException(binary + " needs " + missing.group(1)
                            + ", which is not found on this host");
                }
                Path library = match(line);
                if (library != null && !library.normalize().startsWith(root)) {
                    libraries.add(library);
                }
            }
        }
        return libraries;
    }

    private static Path match(String line) {
        Matcher resolved = RESOLVED.matcher(line);
        if (resolved.matches()) {
            return Path.of(resolved.group(1));
        }
        Matcher direct = DIRECT.matcher(line);
        return direct.matches() ? Path.of(direct.group(1)) : null;
    }

    private static boolean isElf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7F && magic[1] == 'E' && magic[2] == 'L'
                    && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }
}
