package io.metaservice.vm.guest;

import io.metaservice.guest.GuestAgent;
import io.metaservice.guest.GuestConfig;
import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The program that a guest image starts at boot: runs the task through the meta-data service,
 * then keeps replying to the host's actions (artifacts, folder listings, shells) until it is
 * stopped. The host powers the virtual machine off when it is done, so this never exits on its
 * own after a task.
 *
 * <p>Usage: {@code VmAgentMain [--service URI] [--config FILE]}. The service defaults to
 * {@code http://169.254.169.254:80/}, which QEMU forwards to the host; the image builder passes
 * a loopback address instead while it records the class-data sharing archive.
 */
public final class VmAgentMain {

    /** The address at which a guest reaches its meta-data service inside a virtual machine. */
    public static final URI DEFAULT_SERVICE =
            URI.create("http://" + Protocol.DEFAULT_HOST + ":" + Protocol.DEFAULT_PORT + "/");

    private static final System.Logger LOG = System.getLogger(VmAgentMain.class.getName());

    private VmAgentMain() {
    }

    public static void main(String[] args) {
        URI service = DEFAULT_SERVICE;
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--service" -> service = URI.create(requireValue(args[i], value));
                case "--config" -> configFile = Path.of(requireValue(args[i], value));
                default -> usage("unknown argument '" + args[i] + "'");
            }
            i++;
        }
        System.exit(run(service, configFile));
    }

    private static int run(URI service, Path configFile) {
        GuestConfig config;
        try {
            config = configFile == null ? GuestConfig.defaults() : GuestConfig.load(configFile);
        } catch (IOException e) {
            System.err.println("metaservice agent: cannot read the guest configuration "
                    + configFile + ": " + e.getMessage());
            return 1;
        }
        GuestAgent agent = new GuestAgent(service, config);
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "metaservice-agent-shutdown"));
        LOG.log(System.Logger.Level.INFO, "Agent started for the meta-data service at {0}", service);

        int status = agent.runTask();
        LOG.log(System.Logger.Level.INFO, "Task ended with {0}; replying to host actions until stopped",
                status == 0 ? "success" : "failure");
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        agent.close();
        return status;
    }

    private static String requireValue(String option, String value) {
        if (value == null) {
            usage(option + " needs a value");
        }
        return value;
    }

    private static void usage(String problem) {
        System.err.println("metaservice agent: " + problem
                + "; usage: VmAgentMain [--service URI] [--config FILE]");
        System.exit(2);
    }
}
