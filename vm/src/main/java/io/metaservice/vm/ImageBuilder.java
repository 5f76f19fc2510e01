package io.metaservice.vm;

import io.metaservice.protocol.Json;
import io.metaservice.vm.guest.VmAgentMain;
import io.metaservice.vm.internal.BzImage;
import io.metaservice.vm.internal.ClassDataSharingTrainer;
import io.metaservice.vm.internal.Commands;
import io.metaservice.vm.internal.DeleteTree;
import io.metaservice.vm.internal.ElfFile;
import io.metaservice.vm.internal.Initramfs;
import io.metaservice.vm.internal.JarPacker;
import io.metaservice.vm.internal.JavaRuntimeLinker;
import io.metaservice.vm.internal.KernelExtractor;
import io.metaservice.vm.internal.KernelPackageDownloader;
import io.metaservice.vm.internal.SharedLibraries;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a guest image: a Linux kernel from a Debian kernel package, and an initramfs holding
 * busybox as init and tools, the kernel modules of the virtio network card, a {@code jlink}ed
 * Java runtime with the host's shared libraries, the agent's jars with a class-data sharing
 * archive, and an init script that starts the agent ({@link VmAgentMain}).
 *
 * <p>Everything is built in a temporary folder and moved into the output folder at the end, so
 * a failed build leaves an earlier image there intact. Nothing needs root.
 */
public final class ImageBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageBuilder.class);

    /** Kernel modules that give the guest its network card; their dependencies come along. */
    public static final List<String> NETWORK_MODULES = List.of("virtio_pci", "virtio_net");
    /** The agent's folder in the guest; the init script starts the JVM there. */
    public static final String AGENT_FOLDER = "/opt/metaservice";
    /** The task's working folder in the guest, which relative artifact paths start from. */
    public static final String GUEST_WORKDIR = "/work";
    /**
     * Options of the agent's JVM. C1 alone and the serial collector suit a small machine whose
     * emulated CPU makes compiler and collector threads expensive. Log records take one line.
     */
    public static final List<String> AGENT_JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Djava.io.tmpdir=/tmp",
            "-Djava.util.logging.SimpleFormatter.format=%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");

    static final String KERNEL_ELF_FILE = "vmlinux";
    static final String KERNEL_BZIMAGE_FILE = "vmlinuz";
    static final String INITRAMFS_FILE = "initramfs.cpio";
    /** The gzip-compressed initramfs of earlier builds, removed when an image is replaced. */
    private static final String OLD_INITRAMFS_FILE = "initramfs.cpio.gz";
    private static final String JAVA_FOLDER = "/opt/java";
    private static final String MODULE_FOLDER = "/lib/modules/metaservice";
    private static final String ARCHIVE_NAME = "agent.jsa";
    private static final Duration BUSYBOX_TIMEOUT = Duration.ofSeconds(30);

    private final Path outputFolder;
    private Path kernelPackage;
    private List<Path> agentClasspath = List.of();
    private Path jdkHome = Path.of(System.getProperty("java.home"));
    private Path busybox = HostTools.BUSYBOX;
    private boolean classDataSharing = true;

    private ImageBuilder(Path outputFolder) {
        this.outputFolder = Objects.requireNonNull(outputFolder, "outputFolder");
    }

    /** Starts a build whose image goes to {@code outputFolder}, which is created if missing. */
    public static ImageBuilder forOutput(Path outputFolder) {
        return new ImageBuilder(outputFolder);
    }

    /**
     * Sets the Debian kernel package ({@code .deb}) to take the kernel from. Without it, the
     * build downloads the package that {@code linux-image-amd64} depends on with apt.
     */
    public ImageBuilder kernelPackage(Path debFile) {
        this.kernelPackage = debFile;
        return this;
    }

    /**
     * Sets the jars or class folders that make up the agent, such as the {@code metaservice}
     * jar; they must contain {@link VmAgentMain} and the guest module with its dependencies.
     */
    public ImageBuilder agentClasspath(List<Path> entries) {
        this.agentClasspath = List.copyOf(entries);
        return this;
    }

    /** Sets the JDK whose {@code jlink} and {@code jmods} make the guest runtime; default this JVM's. */
    public ImageBuilder jdkHome(Path jdkHome) {
        this.jdkHome = jdkHome;
        return this;
    }

    /** Sets the statically linked busybox to use; default {@code /bin/busybox}. */
    public ImageBuilder busybox(Path busybox) {
        this.busybox = busybox;
        return this;
    }

    /** Turns the agent's class-data sharing archive on or off; on by default. */
    public ImageBuilder classDataSharing(boolean enabled) {
        this.classDataSharing = enabled;
        return this;
    }

    /**
     * Builds the image and returns it.
     *
     * @throws MissingToolException when busybox, ldd, jlink or apt is missing
     * @throws VmException when a step fails
     */
    public GuestImage build() throws VmException, InterruptedException {
        if (agentClasspath.isEmpty()) {
            throw new IllegalStateException("the agent class path is empty");
        }
        checkBusybox();
        Path ldd = HostTools.require(HostTools.LDD, HostTools.LDD_PACKAGE);
        Path workDir;
        try {
            Files.createDirectories(outputFolder);
            workDir = Files.createTempDirectory(outputFolder.toAbsolutePath(), ".build-");
        } catch (IOException e) {
            throw new VmException("cannot create the image folder " + outputFolder + ": " + e.getMessage(), e);
        }
        try {
            return buildIn(workDir, ldd);
        } catch (IOException | UncheckedIOException e) {
            throw new VmException("building the guest image in " + outputFolder + " failed: "
                    + e.getMessage(), e);
        } finally {
            DeleteTree.delete(workDir);
        }
    }

    private GuestImage buildIn(Path workDir, Path ldd) throws IOException, InterruptedException, VmException {
        long started = System.nanoTime();
        Path deb = kernelPackage != null
                ? kernelPackage
                : KernelPackageDownloader.download(Files.createDirectories(workDir.resolve("apt")));
        KernelExtractor.Result kernel = KernelExtractor.extract(deb,
                Files.createDirectories(workDir.resolve("kernel")), NETWORK_MODULES);
        Path kernelFile = workDir.resolve(KERNEL_ELF_FILE);
        String kernelFormat = ImageManifest.KERNEL_ELF;
        if (BzImage.extractElf(kernel.bzImage(), kernelFile) == BzImage.Compression.OTHER
                || !ElfFile.hasPvhEntry(kernelFile)) {
            LOG.info("the kernel cannot boot uncompressed; the image keeps the compressed kernel");
            Files.deleteIfExists(kernelFile);
            kernelFile = workDir.resolve(KERNEL_BZIMAGE_FILE);
            Files.move(kernel.bzImage(), kernelFile);
            kernelFormat = ImageManifest.KERNEL_BZIMAGE;
        }

        Path root = Files.createDirectories(workDir.resolve("root"));
        Path runtime = root.resolve(JAVA_FOLDER.substring(1));
        Files.createDirectories(runtime.getParent());
        JavaRuntimeLinker.link(jdkHome, JavaRuntimeLinker.MODULES, runtime);
        Path agentFolder = Files.createDirectories(root.resolve(AGENT_FOLDER.substring(1)));
        List<String> classpath = JarPacker.copyClasspath(agentClasspath, agentFolder.resolve("lib"));
        List<String> launch = launchArguments(classpath);
        boolean archived = classDataSharing && recordArchive(runtime, agentFolder, launch, workDir);
        List<String> jvmArguments = new ArrayList<>();
        if (archived) {
            jvmArguments.add("-XX:SharedArchiveFile=" + JAVA_FOLDER + "/lib/server/classes.jsa:"
                    + AGENT_FOLDER + "/" + ARCHIVE_NAME);
        }
        jvmArguments.addAll(launch);
        jvmArguments.addAll(List.of("--config", "/etc/metaservice/guest.yaml"));

        Initramfs initramfs = new Initramfs(Instant.now().getEpochSecond());
        addBaseSystem(initramfs);
        addKernelModules(initramfs, kernel.modules());
        initramfs.addTree(JAVA_FOLDER, runtime);
        initramfs.addTree(AGENT_FOLDER, agentFolder);
        initramfs.addText(AGENT_FOLDER + "/agent.args", argumentFile(jvmArguments), 0644);
        for (Path library : withGlibcCompanions(SharedLibraries.neededBy(runtime, ldd))) {
            initramfs.addFile(library.toString(), library);
        }
        Path initramfsFile = workDir.resolve(INITRAMFS_FILE);
        // Uncompressed, because the kernel's gunzip under emulation cost 1 to 3 s per boot. From
        // power-on to the guest's network took 2.5 to 3.5 s uncompressed and 4.2 to 7 s with gzip
        // (QEMU 7.2 TCG, 2-core host under load).
        initramfs.writeUncompressed(initramfsFile);

        ImageManifest manifest = new ImageManifest(ImageManifest.FORMAT_VERSION,
                kernel.kernelVersion(), kernel.packageName(), kernel.packageVersion(),
                kernelFile.getFileName().toString(), kernelFormat,
                kernel.modules().stream().map(KernelExtractor.Module::name).toList(),
                JavaRuntimeLinker.version(runtime), JavaRuntimeLinker.MODULES, agentVersion(),
                classpath, archived, busyboxVersion(), INITRAMFS_FILE, Files.size(initramfsFile),
                GuestNetwork.GUEST_ADDRESS, GuestNetwork.GATEWAY, Instant.now().toString());
        GuestImage image = install(kernelFile, initramfsFile, manifest);
        LOG.info("built guest image in {} in {} s: kernel {} ({}), Java {}, initramfs {} bytes",
                outputFolder, (System.nanoTime() - started) / 1_000_000_000, manifest.kernelRelease(),
                kernelFormat, manifest.javaVersion(), manifest.initramfsBytes());
        return image;
    }

    /** Returns the JVM options, class path, main class and its arguments, as the guest uses them. */
    private static List<String> launchArguments(List<String> classpath) {
        List<String> arguments = new ArrayList<>(AGENT_JVM_OPTIONS);
        arguments.add("-cp");
        arguments.add(String.join(":", classpath));
        arguments.add(VmAgentMain.class.getName());
        return arguments;
    }

    private static boolean recordArchive(Path runtime, Path agentFolder, List<String> launch, Path workDir)
            throws InterruptedException {
        try {
            ClassDataSharingTrainer.train(runtime.resolve("bin/java"), agentFolder, launch,
                    agentFolder.resolve(ARCHIVE_NAME), Files.createDirectories(workDir.resolve("training")));
            return true;
        } catch (IOException e) {
            // The image works without the archive; the agent only starts more slowly.
            LOG.warn("building the image without the agent's class-data sharing archive: {}", e.getMessage());
            return false;
        }
    }

    private void addBaseSystem(Initramfs initramfs) throws IOException, InterruptedException {
        for (String folder : List.of("/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/etc", "/bin",
                "/sbin", "/usr/bin", "/usr/sbin", GUEST_WORKDIR)) {
            initramfs.addDirectory(folder);
        }
        // The kernel opens the console for init before devtmpfs is mounted.
        initramfs.addCharDevice("/dev/console", 5, 1, 0600);
        initramfs.addFile("/bin/busybox", busybox);
        for (String applet : busyboxApplets()) {
            if (!applet.equals("bin/busybox")) {
                initramfs.addSymlink(applet, "/bin/busybox");
            }
        }
        initramfs.addContent("/init", resource("init.sh"), 0755);
        initramfs.addText("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
        initramfs.addText("/etc/group", "root:x:0:\ntty:x:5:\n", 0644);
        initramfs.addText("/etc/hostname", "metaservice-guest\n", 0644);
        initramfs.addText("/etc/hosts", "127.0.0.1 localhost metaservice-guest\n", 0644);
        initramfs.addText("/etc/metaservice/guest.yaml", "workdir: " + GUEST_WORKDIR + "\n", 0644);
        initramfs.addText("/etc/metaservice/network", "INTERFACE=" + GuestNetwork.INTERFACE
                + "\nGUEST_ADDRESS=" + GuestNetwork.GUEST_ADDRESS
                + "\nGATEWAY=" + GuestNetwork.GATEWAY + "\n", 0644);
    }

    private static void addKernelModules(Initramfs initramfs, List<KernelExtractor.Module> modules)
            throws IOException {
        StringBuilder order = new StringBuilder();
        for (KernelExtractor.Module module : modules) {
            initramfs.addFile(MODULE_FOLDER + "/" + module.name() + ".ko", module.file());
            order.append(module.name()).append('\n');
        }
        initramfs.addText("/etc/metaservice/modules", order.toString(), 0644);
    }

    /**
     * Adds the glibc libraries that programs load by name at run time (JNA and pty4j natives),
     * from the folder of the C library that ldd found.
     */
    private static Set<Path> withGlibcCompanions(Set<Path> libraries) {
        Set<Path> all = new TreeSet<>(libraries);
        for (Path library : libraries) {
            if (!library.getFileName().toString().equals("libc.so.6")) {
                continue;
            }
            for (String name : List.of("libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1")) {
                Path companion = library.resolveSibling(name);
                if (Files.isRegularFile(companion)) {
                    all.add(companion);
                }
            }
        }
        return all;
    }

    private GuestImage install(Path kernelFile, Path initramfsFile, ImageManifest manifest) throws IOException {
        Path manifestFile = kernelFile.resolveSibling(GuestImage.MANIFEST_FILE);
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(manifestFile.toFile(), manifest);
        for (String stale : List.of(KERNEL_ELF_FILE, KERNEL_BZIMAGE_FILE, OLD_INITRAMFS_FILE)) {
            Files.deleteIfExists(outputFolder.resolve(stale));
        }
        for (Path file : List.of(kernelFile, initramfsFile, manifestFile)) {
            Files.move(file, outputFolder.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            return GuestImage.load(outputFolder);
        } catch (VmException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private void checkBusybox() throws MissingToolException {
        if (!Files.isRegularFile(busybox) || !Files.isExecutable(busybox)) {
            throw new MissingToolException(busybox.toString(), HostTools.BUSYBOX_PACKAGE,
                    "the guest's init and tools come from a statically linked busybox");
        }
    }

    private List<String> busyboxApplets() throws IOException, InterruptedException {
        String list = Commands.check(List.of(busybox.toString(), "--list-full"), null, BUSYBOX_TIMEOUT);
        List<String> applets = new ArrayList<>();
        for (String line : list.split("\n")) {
            String applet = line.strip();
            if (!applet.isEmpty() && !applet.startsWith("/") && !applet.contains("..")) {
                applets.add(applet);
            }
        }
        if (!applets.contains("sbin/insmod") && !applets.contains("bin/insmod")) {
            throw new IOException(busybox + " has no insmod applet; install " + HostTools.BUSYBOX_PACKAGE);
        }
        return applets;
    }

    private String busyboxVersion() throws IOException, InterruptedException {
        String help = Commands.run(List.of(busybox.toString(), "--help"), null, BUSYBOX_TIMEOUT).text();
        return help.lines().findFirst().orElse("unknown").strip();
    }

    /** Returns the metaservice version that this code was built as. */
    static String agentVersion() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = ImageBuilder.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        }
        return properties.getProperty("version", "unknown");
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ImageBuilder.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from the metaservice jar");
            }
            return in.readAllBytes();
        }
    }

    /** Writes JVM arguments as a launcher argument file, one quoted argument per line. */
    private static String argumentFile(List<String> arguments) {
        StringBuilder file = new StringBuilder();
        for (String argument : arguments) {
            file.append('"').append(argument.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        return file.toString();
    }
}
