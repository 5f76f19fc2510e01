package io.metaservice.host.daemon;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks the paths of a guest's folder listing before anything is written from them, and maps
 * each one to a relative name below the folder. The guest is untrusted: a path outside the
 * folder, with an empty, {@code .} or {@code ..} name, with NUL, a backslash or another
 * control character, or one that repeats another path or runs through another listed file,
 * is rejected.
 */
public final class ListedPaths {

    /** Maximum length of one name in a path, in bytes, as on Linux. */
    public static final int MAX_NAME_BYTES = 255;
    /** Maximum length of a relative path, in bytes, as on Linux. */
    public static final int MAX_PATH_BYTES = 4096;

    private ListedPaths() {
    }

    /** A listed file: the guest's absolute path and its checked name relative to the folder. */
    public record Entry(String guestPath, String relativeName) {
    }

    /**
     * Maps every listed path below {@code folder}, which must be absolute.
     *
     * @throws UnsafeListingException naming the first rejected paths and their number
     */
    public static List<Entry> relativize(String folder, List<String> listed) throws UnsafeListingException {
        String prefix = folder.endsWith("/") ? folder : folder + "/";
        List<Entry> entries = new ArrayList<>(listed.size());
        List<String> rejected = new ArrayList<>();
        int rejectedCount = 0;
        Set<String> files = new HashSet<>();
        Set<String> folders = new HashSet<>();
        for (String path : listed) {
            String problem = path == null ? "is null" : checkBelow(prefix, path);
            String relative = problem == null ? path.substring(prefix.length()) : null;
            if (problem == null) {
                problem = checkRelative(relative);
            }
            if (problem == null) {
                problem = checkUnique(relative, files, folders);
            }
            if (problem != null) {
                rejectedCount++;
                if (rejected.size() < UnsafeListingException.MAX_QUOTED) {
                    rejected.add(UnsafeListingException.quote(path) + " " + problem);
                }
                continue;
            }
            entries.add(new Entry(path, relative));
        }
        if (rejectedCount > 0) {
            throw new UnsafeListingException(folder, rejected, rejectedCount, listed.size());
        }
        return entries;
    }

    /**
     * Checks a relative name: it must consist of ordinary names joined by {@code /}. Returns the
     * problem, or null when the name is safe to create below a folder.
     */
    public static String checkRelative(String relative) {
        if (relative.isEmpty()) {
            return "names no file below the folder";
        }
        if (relative.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            return "is longer than " + MAX_PATH_BYTES + " bytes";
        }
        for (int i = 0; i < relative.length(); i++) {
            char c = relative.charAt(i);
            if (c == '\0') {
                return "contains NUL";
            }
            if (c == '\\') {
                return "contains a backslash, which some systems read as a separator";
            }
            if (Character.isISOControl(c)) {
                return "contains a control character";
            }
        }
        for (String name : relative.split("/", -1)) {
            if (name.isEmpty()) {
                return "has an empty name (a leading, doubled or trailing '/')";
            }
            if (name.equals(".") || name.equals("..")) {
                return "has a '" + name + "' name";
            }
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                return "has a name longer than " + MAX_NAME_BYTES + " bytes";
            }
        }
        return null;
    }

    private static String checkBelow(String prefix, String path) {
        if (!path.startsWith("/")) {
            return "is not absolute";
        }
        if (!path.startsWith(prefix)) {
            return "is not below the listed folder";
        }
        return null;
    }

    private static String checkUnique(String relative, Set<String> files, Set<String> folders) {
        if (files.contains(relative) || folders.contains(relative)) {
            return "is listed twice, or is both a file and a folder";
        }
        List<String> parents = new ArrayList<>();
        for (int slash = relative.indexOf('/'); slash >= 0; slash = relative.indexOf('/', slash + 1)) {
            String parent = relative.substring(0, slash);
            if (files.contains(parent)) {
                return "runs through the listed file " + UnsafeListingException.quote(parent);
            }
            parents.add(parent);
        }
        files.add(relative);
        folders.addAll(parents);
        return null;
    }
}
