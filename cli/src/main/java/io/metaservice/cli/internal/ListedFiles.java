package io.metaservice.cli.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Checks the paths of a guest's folder listing and maps them below the requested folder. The
 * guest is untrusted, so a listed path that is not strictly below the folder is rejected.
 */
public final class ListedFiles {

    private ListedFiles() {
    }

    /**
     * Splits an absolute path that the guest listed into names.
     *
     * @throws UnsafePathException when the entry is null or empty, or the path is not absolute
     *     or contains NUL, an empty name, {@code .} or {@code ..}
     */
    public static List<String> names(String listed) throws UnsafePathException {
        if (listed == null) {
            throw new UnsafePathException("the guest listed a null entry instead of a path");
        }
        if (listed.isEmpty()) {
            throw new UnsafePathException("the guest listed an empty path");
        }
        if (listed.indexOf('\0') >= 0) {
            throw new UnsafePathException("the guest listed a path that contains NUL: "
                    + Quoting.quote(listed));
        }
        if (!listed.startsWith("/")) {
            throw new UnsafePathException("the guest listed a path that is not absolute: "
                    + Quoting.quote(listed));
        }
        List<String> names = new ArrayList<>();
        for (String name : listed.substring(1).split("/", -1)) {
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                throw new UnsafePathException("the guest listed a path with an empty, '.' or"
                        + " '..' name: " + Quoting.quote(listed));
            }
            names.add(name);
        }
        return names;
    }

    /**
     * Returns the names of {@code listed} below {@code folder}.
     *
     * @throws UnsafePathException when {@code listed} is not strictly below {@code folder}
     */
    public static List<String> below(List<String> folder, List<String> listed, String text)
            throws UnsafePathException {
        if (listed.size() <= folder.size() || !listed.subList(0, folder.size()).equals(folder)) {
            throw new UnsafePathException("the guest listed " + Quoting.quote(text)
                    + ", which is not below the requested folder /" + String.join("/", folder));
        }
        return List.copyOf(listed.subList(folder.size(), listed.size()));
    }

    /**
     * Finds the listed folder of a relative request when the guest's working folder is
     * unknown: the names of {@code listed} up to the first run of the request's names that is
     * followed by at least one more name.
     */
    // NOTE: this is a guess when the guest's working folder itself contains the request's names,
    //  such as a request for 'out' in the folder '/out/task': files then land one level deeper.
    public static Optional<List<String>> locateFolder(List<String> request, List<String> listed) {
        int index = Collections.indexOfSubList(listed, request);
        if (index < 0 || index + request.size() >= listed.size()) {
            return Optional.empty();
        }
        return Optional.of(List.copyOf(listed.subList(0, index + request.size())));
    }
}
