package io.metaservice.vm;

/**
 * Whether QEMU runs in a network namespace of its own, which has only a loopback interface, in
 * addition to its {@code restrict=on} user-mode network. The namespace comes from
 * {@code unshare --net} as root, or {@code unshare --user --map-root-user --net} otherwise.
 */
public enum NetworkIsolation {
    /** Use a namespace when this host allows one, and go on without it otherwise. */
    AUTO,
    /** Use a namespace, and fail to start when this host does not allow one. */
    REQUIRED,
    /** Rely on {@code restrict=on} alone. */
    NONE
}
