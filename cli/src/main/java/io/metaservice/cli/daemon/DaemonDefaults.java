package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.ControlEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default state folder and control socket of {@code metaservice serve}, which the client
 * commands use too, so that both find each other without options.
 */
public final class DaemonDefaults {

    /** Environment variable that overrides the default control endpoint of client commands. */
    public static final String CONTROL_VARIABLE = "METASERVICE_CONTROL";
    /** Environment variable that contains the bearer token of client commands. */
    public static final String TOKEN_VARIABLE = "METASERVICE_TOKEN";
    static final String CONTROL_SOCKET = "control.sock";

    private DaemonDefaults() {
    }

    /**
     * Returns {@code $XDG_RUNTIME_DIR/metaservice} when that variable names a folder, else
     * {@code TMPDIR/metaservice-USER}. The daemon checks that the folder is private.
     */
    public static Path stateDirectory() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && Files.isDirectory(Path.of(runtime))) {
            return Path.of(runtime, "metaservice");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "metaservice-" + System.getProperty("user.name"));
    }

    /** Returns the control socket in the default state folder. */
    public static ControlEndpoint control() {
        return new ControlEndpoint.UnixSocket(stateDirectory().resolve(CONTROL_SOCKET));
    }
}
