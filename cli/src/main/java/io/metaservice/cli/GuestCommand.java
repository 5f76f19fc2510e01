package io.metaservice.cli;

import io.metaservice.cli.internal.GuestAddress;
import io.metaservice.guest.GuestAgent;
import io.metaservice.guest.GuestConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code metaservice guest}: the agent that runs inside a virtual machine. Without a
 * sub-command it does what {@code guest run} does.
 */
@Command(
        name = "guest",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        subcommands = {GuestCommand.Run.class, GuestCommand.PostLog.class},
        description = {
            "The guest agent, for use inside a virtual machine: it fetches the task from the"
                    + " meta-data service, runs it with its output in the task log, reports the"
                    + " result and handles the host's requests until it is stopped.",
            "Logging goes to standard error."
        })
public final class GuestCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(GuestCommand.class);

    @Option(names = "--host", paramLabel = "HOST[:PORT]", defaultValue = GuestAddress.DEFAULT,
            converter = GuestAddressConverter.class,
            description = "Address of the meta-data service (default: ${DEFAULT-VALUE}, the"
                    + " link-local address that a virtual machine reaches its host on; the port"
                    + " defaults to 80).")
    private GuestAddress host;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration with the keys entrypoint, env, shell, user and"
                    + " workdir (default: none, so the task runs as this user in the current"
                    + " folder).")
    private Path config;

    /** Runs the task, as {@code guest run} does. */
    @Override
    public Integer call() {
        return runAgent();
    }

    private int runAgent() {
        GuestConfig guestConfig;
        try {
            guestConfig = config == null ? GuestConfig.defaults() : GuestConfig.load(config);
        } catch (IOException e) {
            System.err.println("metaservice: cannot read the guest configuration " + config + ": "
                    + e.getMessage());
            return CommandLine.ExitCode.SOFTWARE;
        }
        GuestAgent agent = new GuestAgent(host.baseUri(), guestConfig);
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "metaservice-agent-shutdown"));
        LOG.info("guest agent started for the meta-data service at {}", host);

        int status = agent.runTask();
        LOG.info("task ended with {}; handling host requests until stopped",
                status == 0 ? "success" : "failure");
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        agent.close();
        return status;
    }

    /** Converts {@code --host} values, so that an invalid address is a usage error. */
    static final class GuestAddressConverter implements CommandLine.ITypeConverter<GuestAddress> {
        @Override
        public GuestAddress convert(String value) {
            try {
                return GuestAddress.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code metaservice guest run}: runs the task, then handles host requests until stopped. */
    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            description = "Runs the task, reports its result, then keeps handling the host's"
                    + " requests (artifacts, folder listings, kills) until the process is stopped.")
    static final class Run implements Callable<Integer> {

        @ParentCommand
        private GuestCommand parent;

        @Override
        public Integer call() {
            return parent.runAgent();
        }
    }

    /** {@code metaservice guest post-log}: appends a file or standard input to the task log. */
    @Command(
            name = "post-log",
            mixinStandardHelpOptions = true,
            description = "Appends FILE, or standard input for '-', to the task log in one"
                    + " streaming request, as a second process in the guest does.")
    static final class PostLog implements Callable<Integer> {

        @ParentCommand
        private GuestCommand parent;

        @Parameters(paramLabel = "FILE|-", description = "File to send, or '-' for standard input.")
        private String source;

        @Override
        public Integer call() {
            GuestAddress address = parent.host;
            try (InputStream in = open()) {
                GuestAgent.postLog(address.baseUri(), in);
                return CommandLine.ExitCode.OK;
            } catch (IOException e) {
                System.err.println("metaservice: posting the log to " + address + " failed: "
                        + e.getMessage());
                return CommandLine.ExitCode.SOFTWARE;
            }
        }

        private InputStream open() throws IOException {
            if (source.equals("-")) {
                return System.in;
            }
            return Files.newInputStream(Path.of(source));
        }
    }
}
