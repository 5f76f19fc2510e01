package io.metaservice.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An artifact requested with {@code --artifact}: a file or folder of the guest, and where it
 * lands in the artifacts folder.
 *
 * <p>A relative path is resolved by the guest against its working folder and lands under the
 * same relative path. An absolute path lands under its last name, and so does each file of an
 * absolute folder, below that name.
 *
 * @param requested the path as the user gave it, for messages
 * @param names the names of the normalised path, without empty, {@code .} and {@code ..} names
 * @param absolute whether the path starts with {@code /}
 */
public record ArtifactRequest(String requested, List<String> names, boolean absolute) {

    public ArtifactRequest {
        names = List.copyOf(names);
    }

    /**
     * Parses and normalises a requested guest path.
     *
     * @throws IllegalArgumentException when the path is empty, contains NUL, names no file, or
     *     is relative and contains {@code ..}, which would leave the artifacts folder
     */
    public static ArtifactRequest parse(String requested) {
        if (requested.isEmpty()) {
            throw new IllegalArgumentException("invalid artifact path: the path is empty");
        }
        if (requested.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid artifact path: the path contains NUL");
        }
        boolean absolute = requested.startsWith("/");
        List<String> names = new ArrayList<>();
        for (String name : requested.split("/")) {
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (!name.equals("..")) {
                names.add(name);
            } else if (!absolute) {
                throw new IllegalArgumentException("invalid artifact path '" + requested
                        + "': a relative path must not contain '..'; use an absolute path");
            } else if (!names.isEmpty()) {
                names.remove(names.size() - 1);
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("invalid artifact path '" + requested
                    + "': it names no file or folder below " + (absolute ? "/" : "the working folder"));
        }
        return new ArtifactRequest(requested, names, absolute);
    }

    /** Returns the normalised path to send to the guest. */
    public String guestPath() {
        return (absolute ? "/" : "") + String.join("/", names);
    }

    /** Returns the names, below the artifacts folder, under which this file or folder lands. */
    public List<String> destination() {
        return absolute ? List.of(names.get(names.size() - 1)) : names;
    }

    /**
     * Returns the names of the folder as the guest lists it: the absolute path itself, or for a
     * relative path the guest's working folder followed by the path. Empty when the path is
     * relative and the working folder is unknown.
     */
    public Optional<List<String>> listedFolder(Optional<List<String>> guestWorkdir) {
        if (absolute) {
            return Optional.of(names);
        }
        return guestWorkdir.map(workdir -> {
            List<String> folder = new ArrayList<>(workdir);
            folder.addAll(names);
            return List.copyOf(folder);
        });
    }
}
