package io.metaservice.cli;

import io.metaservice.vm.GuestImage;
import io.metaservice.vm.ImageBuilder;
import io.metaservice.vm.ImageManifest;
import io.metaservice.vm.VmException;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metaservice image}: guest images for {@code metaservice run --vm}. */
@Command(
        name = "image",
        mixinStandardHelpOptions = true,
        subcommands = {ImageCommand.Build.class},
        description = "Builds the guest image that 'metaservice run --vm' boots.")
public final class ImageCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: use 'build'.");
    }

    /** {@code metaservice image build}: kernel and initramfs with this jar's agent. */
    @Command(
            name = "build",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = {
                "Builds a guest image: a Linux kernel from Debian's kernel package, and an initramfs"
                        + " with busybox, a jlinked Java runtime and this metaservice's agent, which"
                        + " starts at boot.",
                "Needs the Debian packages busybox-static and a JDK with jmods"
                        + " (openjdk-17-jdk-headless); without --kernel-package, apt-get downloads"
                        + " the kernel package. Nothing needs root."
            })
    static final class Build implements Callable<Integer> {

        @Option(names = "--out", paramLabel = "DIR",
                description = "Folder that receives the image (default: ${DEFAULT-VALUE}). An image"
                        + " already there is replaced only when the build succeeds.")
        private Path out = GuestImage.defaultFolder();

        @Option(names = "--kernel-package", paramLabel = "DEB",
                description = "Debian kernel package (linux-image-*.deb) to take the kernel from"
                        + " (default: download the one that linux-image-amd64 depends on).")
        private Path kernelPackage;

        @Option(names = "--jdk", paramLabel = "DIR",
                description = "JDK whose jlink and jmods make the guest's Java runtime (default: the"
                        + " JDK running this command).")
        private Path jdk;

        @Option(names = "--busybox", paramLabel = "FILE",
                description = "Statically linked busybox for the guest (default: /bin/busybox).")
        private Path busybox;

        @Override
        public Integer call() throws InterruptedException {
            ImageBuilder builder = ImageBuilder.forOutput(out).agentClasspath(agentClasspath());
            if (kernelPackage != null) {
                builder.kernelPackage(kernelPackage);
            }
            if (jdk != null) {
                builder.jdkHome(jdk);
            }
            if (busybox != null) {
                builder.busybox(busybox);
            }
            GuestImage image;
            try {
                image = builder.build();
            } catch (VmException e) {
                System.err.println("metaservice: image build failed: " + e.getMessage());
                return CommandLine.ExitCode.SOFTWARE;
            }
            ImageManifest manifest = image.manifest();
            System.err.printf("metaservice: built the guest image in %s: kernel %s, Java %s,"
                            + " initramfs %.1f MiB%n", image.folder(), manifest.kernelRelease(),
                    manifest.javaVersion(), manifest.initramfsBytes() / (1024.0 * 1024.0));
            return CommandLine.ExitCode.OK;
        }

        /**
         * Returns the jar this command runs from, which contains the agent with everything it
         * needs. A build from class folders returns this JVM's class path instead.
         */
        private static List<Path> agentClasspath() {
            CodeSource source = Main.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                try {
                    Path location = Path.of(source.getLocation().toURI());
                    if (Files.isRegularFile(location)) {
                        return List.of(location);
                    }
                } catch (URISyntaxException | IllegalArgumentException e) {
                    // Fall back to the class path below.
                }
            }
            List<Path> entries = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (!entry.isEmpty() && Files.exists(Path.of(entry))) {
                    entries.add(Path.of(entry));
                }
            }
            return entries;
        }
    }
}
