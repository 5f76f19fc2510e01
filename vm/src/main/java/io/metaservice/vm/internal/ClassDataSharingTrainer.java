package io.metaservice.vm.internal;

import io.metaservice.host.Artifact;
import io.metaservice.host.GuestServer;
import io.metaservice.host.HostOperationException;
import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import io.metaservice.host.shell.HostShell;
import io.metaservice.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a class-data sharing archive of the agent by running it once on the host against a
 * real service on a loopback port. The run covers a small task, a folder listing, an artifact
 * and a shell, so that the classes of every common path are in the archive. The JVM writes the
 * archive when it exits ({@code -XX:ArchiveClassesAtExit}).
 *
 * <p>The guest later maps the archive instead of loading and verifying those classes, which
 * matters under emulation, where class loading dominates the agent's start-up. The archive is
 * valid only for the same runtime, the same JVM options and the same class path as written here,
 * so the class path is relative to the agent folder, and the jars keep their times and sizes.
 */
public final class ClassDataSharingTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(ClassDataSharingTrainer.class);

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);
    /** How long the training waits for its shell, because an agent without shells never replies. */
    private static final Duration SHELL_WAIT = Duration.ofSeconds(10);
    private static final String ARTIFACT_NAME = "training.txt";

    private ClassDataSharingTrainer() {
    }

    /**
     * Runs the agent from {@code agentFolder} with {@code java} and writes the archive to
     * {@code archive}. {@code launch} contains the JVM options, class path, main class and
     * arguments that the guest uses, without {@code -XX:SharedArchiveFile}; the service address
     * and configuration file of the run are appended.
     *
     * @throws IOException when the run fails or writes no archive; {@code workDir} then holds
     *     the agent's output as {@code training.log}
     */
    public static void train(Path java, Path agentFolder, List<String> launch, Path archive, Path workDir)
            throws IOException, InterruptedException {
        Path taskFolder = Files.createDirectories(workDir.resolve("training-work"));
        Path config = workDir.resolve("training-guest.yaml");
        Files.writeString(config, "workdir: " + Json.MAPPER.writeValueAsString(taskFolder.toString()) + "\n",
                StandardCharsets.UTF_8);
        Path agentLog = workDir.resolve("training.log");
        MetaService service = new MetaService(MetaServiceConfig.builder()
                .command(List.of("sh", "-c", "echo trained > " + ARTIFACT_NAME))
                .temporaryDirectory(Files.createDirectories(workDir.resolve("training-incoming")))
                .build());
        GuestServer server;
        try {
            server = GuestServer.start(service, "127.0.0.1", 0);
        } catch (Exception e) {
            throw new IOException("cannot start the training service on 127.0.0.1: " + e, e);
        }
        Process agent = null;
        try {
            List<String> command = new ArrayList<>();
            command.add(java.toString());
            command.add("-XX:ArchiveClassesAtExit=" + archive.toAbsolutePath());
            command.addAll(launch);
            command.addAll(List.of("--service", server.baseUri().toString(), "--config", config.toString()));
            agent = new ProcessBuilder(command)
                    .directory(agentFolder.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(agentLog.toFile())
                    .start();
            agent.getOutputStream().close();
            exercise(service, taskFolder);
            service.stopPollers();
            agent.destroy();
            if (!agent.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("the training agent did not exit within "
                        + EXIT_TIMEOUT.toSeconds() + " s of SIGTERM");
            }
        } catch (IOException e) {
            throw new IOException(e.getMessage() + "; agent output:\n" + agentOutput(agentLog), e);
        } finally {
            if (agent != null) {
                agent.destroyForcibly();
            }
            try {
                server.close();
            } catch (Exception e) {
                LOG.warn("cannot stop the training service: {}", e.toString());
            }
        }
        if (!Files.isRegularFile(archive) || Files.size(archive) == 0) {
            throw new IOException("the training agent wrote no archive " + archive + "; agent output:\n"
                    + agentOutput(agentLog));
        }
        LOG.info("recorded the agent's class-data sharing archive: {} bytes", Files.size(archive));
    }

    private static void exercise(MetaService service, Path taskFolder) throws IOException, InterruptedException {
        try {
            Boolean success = service.result().get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (!success) {
                throw new IOException("the training task failed");
            }
            service.listFolder(taskFolder.toString());
            try (Artifact artifact = service.getArtifact(taskFolder.resolve(ARTIFACT_NAME).toString())) {
                LOG.debug("training artifact: {} bytes", artifact.size());
            }
            exerciseShell(service);
        } catch (ExecutionException e) {
            throw new IOException("a training step failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("a training step timed out after " + STEP_TIMEOUT.toSeconds() + " s", e);
        } catch (HostOperationException e) {
            throw new IOException("a training action failed: " + e.getMessage(), e);
        }
    }

    /**
     * Opens a shell and waits for it to end, for at most {@link #SHELL_WAIT}. An agent that does
     * not reply to exec-shell actions only leaves the shell classes out of the archive.
     */
    private static void exerciseShell(MetaService service) throws InterruptedException {
        CompletableFuture<Void> shellDone = CompletableFuture.runAsync(() -> {
            // The output fits in the flow-control window, so it need not be read for the shell to end.
            try (HostShell shell = service.execShell(List.of("sh", "-c", "echo shell"), true)) {
                shell.stdin().close();
                shell.waitFor();
            } catch (IOException | HostOperationException e) {
                throw new CompletionException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            shellDone.get(SHELL_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.info("the class-data sharing archive leaves out shells: the agent's shell did not end"
                    + " within {} s: {}", SHELL_WAIT.toSeconds(), String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }

    private static String agentOutput(Path log) {
        try {
            return Commands.tail(Files.readString(log, StandardCharsets.UTF_8), 4000);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
