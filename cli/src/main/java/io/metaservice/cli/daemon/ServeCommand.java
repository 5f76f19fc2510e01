package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.Addresses;
import io.metaservice.host.daemon.ControlEndpoint;
import io.metaservice.host.daemon.Daemon;
import io.metaservice.host.daemon.DaemonConfig;
import io.metaservice.host.MetaServiceConfig;
import io.metaservice.host.daemon.GuestLimits;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code metaservice serve}: runs the multi-guest daemon until it is stopped with SIGTERM or
 * SIGINT, and then releases every guest and removes its files.
 */
@Command(
        name = ServeCommand.NAME,
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Runs one meta-data service for every virtual machine on this host, and the control"
                    + " API through which a worker creates, watches and releases guests.",
            "Guests reach the service by source subnet on the shared guest listener, or on a Unix"
                    + " socket or loopback port of their own. Sizes take an optional suffix KiB, MiB,"
                    + " GiB or TiB; durations an optional unit ms, s, m or h (default seconds).",
            "The daemon runs until SIGTERM or SIGINT; it then releases every guest and deletes"
                    + " their sockets, logs and temporary files. Logging goes to standard error."
        },
        footer = {"", "Exit codes: 0 after a normal stop, 1 when the daemon cannot start, 2 for a"
                + " usage error."})
public final class ServeCommand implements Callable<Integer> {

    public static final String NAME = "serve";

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    private static final Set<PosixFilePermission> OTHERS_READ = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = {"Private folder for the control socket, guest sockets, logs and temporary"
                    + " files. It is created with mode 700; an existing one must belong to you and"
                    + " allow no one else.",
                "Default: $${XDG_RUNTIME_DIR}/metaservice, or metaservice-USER in the temporary folder."})
    private Path stateDirectory;

    @Option(names = "--control", paramLabel = "ADDR",
            description = {"Where the control API listens: unix:PATH for a Unix socket with mode 600,"
                    + " or a loopback HOST:PORT such as 127.0.0.1:8181 (port 0 picks a free one).",
                "Default: unix:DIR/control.sock in the state folder."})
    private String control;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File with a bearer token that every control request must carry. Default:"
                    + " none, so anyone who can reach the control listener may use it.")
    private Path tokenFile;

    @Option(names = "--guest-listen", paramLabel = "HOST:PORT",
            description = {"Address of the shared guest listener, on which guests are identified by"
                    + " source subnet (TAP networking), such as 192.168.150.1:80.",
                "Default: none; subnet routes are then rejected."})
    private String guestListen;

    @Option(names = "--guest-address", paramLabel = "ADDR", defaultValue = "169.254.169.254",
            description = "The meta-data address as guests use it, written into the QEMU -netdev"
                    + " values handed out for new guests; nothing listens on it (default:"
                    + " ${DEFAULT-VALUE}).")
    private String guestAddress;

    @Option(names = "--guest-port", paramLabel = "PORT", defaultValue = "80",
            description = "The meta-data port as guests use it, for the same -netdev values"
                    + " (default: ${DEFAULT-VALUE}).")
    private int guestPort;

    @Option(names = "--released-retention", paramLabel = "DURATION", converter = Conversions.Time.class,
            description = "Time a released guest's route keeps responding 404 before the guest is"
                    + " removed with its files; 0 removes it at once (default: 60s).")
    private Duration releasedRetention;

    @Option(names = "--max-guests", paramLabel = "N",
            description = "Guests that may exist at once, released ones included (default: "
                    + DaemonConfig.DEFAULT_MAX_GUESTS + ").")
    private Integer maxGuests;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Open connections per guest; a further one is closed at once (default: "
                    + GuestLimits.DEFAULT_MAX_CONNECTIONS + ").")
    private Integer maxConnections;

    @Option(names = "--max-parked-polls", paramLabel = "N",
            description = "Polls per guest that may wait at once; a further poll gets 429"
                    + " (default: " + GuestLimits.DEFAULT_MAX_PARKED_POLLS + ").")
    private Integer maxParkedPolls;

    @Option(names = "--max-pending-actions", paramLabel = "N",
            description = "Host operations per guest that may run at once; a further one fails"
                    + " (default: " + MetaServiceConfig.DEFAULT_MAX_PENDING_ACTIONS + ").")
    private Integer maxPendingActions;

    @Option(names = "--max-shells", paramLabel = "N",
            description = "Shells per guest open through the control API at once (default: "
                    + GuestLimits.DEFAULT_MAX_SHELLS + ").")
    private Integer maxShells;

    @Option(names = "--max-log-requests", paramLabel = "N",
            description = "Log requests per guest that may stream at once; a further one gets 429"
                    + " (default: " + MetaServiceConfig.DEFAULT_MAX_LOG_REQUESTS + ").")
    private Integer maxLogRequests;

    @Option(names = "--max-request-header-bytes", paramLabel = "SIZE", converter = Conversions.Size.class,
            description = "Size of a guest request's line and headers; larger ones get 431"
                    + " (default: 8KiB).")
    private Long maxRequestHeaderBytes;

    @Option(names = "--header-timeout", paramLabel = "DURATION", converter = Conversions.Time.class,
            description = "Time from a guest request's first byte to the end of its headers; a"
                    + " slower connection is closed (default: 10s).")
    private Duration headerTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Conversions.Time.class,
            description = "Time a guest connection may be silent; longer than a poll (default: 120s)."
                    + " A log stream is never cut off for silence.")
    private Duration idleTimeout;

    @Option(names = "--min-reply-rate", paramLabel = "SIZE", converter = Conversions.Size.class,
            description = "Average bytes per second below which a reply body (an artifact or a"
                    + " listing) is cut off once the grace time has passed; 0 for none (default: 1KiB).")
    private Long minReplyRate;

    @Option(names = "--reply-rate-grace", paramLabel = "DURATION", converter = Conversions.Time.class,
            description = "Time a reply body runs before its rate is checked (default: 10s).")
    private Duration replyRateGrace;

    @Option(names = "--reply-idle-timeout", paramLabel = "DURATION", converter = Conversions.Time.class,
            description = "Time a reply body may send nothing before it is cut off (default: 60s).")
    private Duration replyIdleTimeout;

    @Option(names = "--list-folder-body-limit", paramLabel = "SIZE", converter = Conversions.Size.class,
            description = "Bytes of a list-folder reply that are read (default: 10MiB, as the protocol"
                    + " says).")
    private Long listFolderBodyLimit;

    @Option(names = "--max-artifact-bytes", paramLabel = "SIZE", converter = Conversions.Size.class,
            description = "Size of one file fetched from a guest; a larger upload is stopped and"
                    + " removed (default: 64GiB).")
    private Long maxArtifactBytes;

    @Option(names = "--max-temporary-bytes", paramLabel = "SIZE", converter = Conversions.Size.class,
            description = "Bytes of one guest's uploads and fetched files on disk at once (default:"
                    + " 64GiB).")
    private Long maxTemporaryBytes;

    @Option(names = "--max-log-bytes", paramLabel = "SIZE", converter = Conversions.Size.class,
            description = "Bytes of each guest's log kept on disk; later bytes are counted and dropped"
                    + " (default: 64MiB).")
    private Long maxLogBytes;

    @Option(names = "--max-shell-message-bytes", paramLabel = "SIZE", converter = Conversions.Size.class,
            description = "Size of one websocket message from a control API shell client; a larger"
                    + " one closes the shell (default: 20KiB, the shell protocol's maximum).")
    private Long maxShellMessageBytes;

    @Override
    public Integer call() {
        DaemonConfig config = buildConfig();
        PrintStream err = System.err;
        Daemon daemon;
        try {
            daemon = Daemon.start(config);
        } catch (Exception e) {
            err.println("metaservice serve: cannot start the daemon: " + e.getMessage());
            LOG.debug("start failed", e);
            return CommandLine.ExitCode.SOFTWARE;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping: releasing {} guests", daemon.guests().size());
            daemon.close();
            stopped.countDown();
        }, "metaservice-serve-shutdown"));
        InetSocketAddress shared = daemon.guestListenerAddress();
        err.println("metaservice serve: control API on " + daemon.controlEndpoint() + "; "
                + (shared == null ? "no shared guest listener" : "subnet routes on "
                        + shared.getAddress().getHostAddress() + ":" + shared.getPort())
                + "; state folder " + config.stateDirectory());
        err.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return CommandLine.ExitCode.OK;
    }

    private DaemonConfig buildConfig() {
        Path state = (stateDirectory != null ? stateDirectory : DaemonDefaults.stateDirectory()).toAbsolutePath();
        DaemonConfig.Builder builder = DaemonConfig.builder()
                .stateDirectory(state)
                .guestAddress(guestAddress)
                .guestPort(guestPort)
                .limits(buildLimits());
        try {
            builder.control(control != null ? ControlEndpoint.parse(control)
                    : new ControlEndpoint.UnixSocket(state.resolve(DaemonDefaults.CONTROL_SOCKET)));
            if (guestListen != null) {
                builder.guestListener(Addresses.parseHostPort(guestListen));
            }
            Addresses.parseLiteral(guestAddress);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (tokenFile != null) {
            warnIfReadable(tokenFile);
            builder.bearerToken(ControlOptions.readToken(tokenFile, spec.commandLine()));
        }
        if (releasedRetention != null) {
            builder.releasedRetention(releasedRetention);
        }
        if (maxGuests != null) {
            builder.maxGuests(maxGuests);
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private GuestLimits buildLimits() {
        GuestLimits.Builder limits = GuestLimits.builder();
        try {
            if (maxConnections != null) {
                limits.maxConnections(maxConnections);
            }
            if (maxParkedPolls != null) {
                limits.maxParkedPolls(maxParkedPolls);
            }
            if (maxPendingActions != null) {
                limits.maxPendingActions(maxPendingActions);
            }
            if (maxShells != null) {
                limits.maxShells(maxShells);
            }
            if (maxLogRequests != null) {
                limits.maxLogRequests(maxLogRequests);
            }
            if (maxRequestHeaderBytes != null) {
                limits.maxRequestHeaderBytes(Math.toIntExact(maxRequestHeaderBytes));
            }
            if (headerTimeout != null) {
                limits.headerReadTimeout(headerTimeout);
            }
            if (idleTimeout != null) {
                limits.idleTimeout(idleTimeout);
            }
            if (minReplyRate != null) {
                limits.minReplyBytesPerSecond(minReplyRate);
            }
            if (replyRateGrace != null) {
                limits.replyRateGracePeriod(replyRateGrace);
            }
            if (replyIdleTimeout != null) {
                limits.replyIdleTimeout(replyIdleTimeout);
            }
            if (listFolderBodyLimit != null) {
                limits.listFolderBodyLimit(Math.toIntExact(listFolderBodyLimit));
            }
            if (maxArtifactBytes != null) {
                limits.maxArtifactBytes(maxArtifactBytes);
            }
            if (maxTemporaryBytes != null) {
                limits.maxTemporaryBytes(maxTemporaryBytes);
            }
            if (maxLogBytes != null) {
                limits.maxLogBytes(maxLogBytes);
            }
            if (maxShellMessageBytes != null) {
                limits.maxShellMessageBytes(Math.toIntExact(maxShellMessageBytes));
            }
            return limits.build();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid limit: " + e.getMessage());
        }
    }

    private static void warnIfReadable(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (permissions.stream().anyMatch(OTHERS_READ::contains)) {
                System.err.println("metaservice serve: warning: the token file " + file
                        + " can be read by other users; run chmod 600 " + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot check the permissions of {}: {}", file, e.toString());
        }
    }
}
