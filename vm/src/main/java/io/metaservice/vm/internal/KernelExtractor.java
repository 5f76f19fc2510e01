package io.metaservice.vm.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the kernel and the modules that a guest needs out of a Debian kernel package such as
 * {@code linux-image-6.1.0-57-amd64}, without installing it.
 *
 * <p>Such packages ship no {@code modules.dep}, so the load order comes from each module's own
 * {@code .modinfo} {@code depends} field: one pass over the package reads the field of every
 * module, and a second pass copies the dependency closure of the requested modules. A
 * dependency that the package does not ship is taken to be built into the kernel.
 */
public final class KernelExtractor {

    private static final Logger LOG = LoggerFactory.getLogger(KernelExtractor.class);

    /** Largest module read into memory; Debian's largest 6.1 module is about 20 MiB. */
    private static final int MAX_MODULE_BYTES = 128 << 20;

    private KernelExtractor() {
    }

    /** A module to load, and where its file was written. */
    public record Module(String name, Path file) {
    }

    /**
     * The files and facts taken from the package.
     *
     * @param kernelVersion the release that {@code uname -r} prints in the guest
     * @param packageName the package's {@code Package} field
     * @param packageVersion the package's {@code Version} field
     * @param bzImage the compressed kernel as shipped
     * @param modules the modules to load, each after its dependencies
     * @param builtIn requested modules and dependencies that the package does not ship
     */
    public record Result(String kernelVersion, String packageName, String packageVersion,
            Path bzImage, List<Module> modules, List<String> builtIn) {
    }

    private record ModuleEntry(String archivePath, List<String> depends) {
    }

    /**
     * Writes the kernel and the closure of {@code requiredModules} below {@code workDir}.
     *
     * @throws IOException when the package cannot be read or contains no kernel
     */
    public static Result extract(Path debFile, Path workDir, List<String> requiredModules)
            throws IOException {
        DebianPackage deb = new DebianPackage(debFile);
        Map<String, String> control = deb.controlFields();
        Path bzImage = workDir.resolve("vmlinuz");
        Map<String, ModuleEntry> shipped = new HashMap<>();
        String[] kernelVersion = new String[1];

        deb.readData((name, entry, content) -> {
            if (name.startsWith("boot/vmlinuz-")) {
                kernelVersion[0] = name.substring("boot/vmlinuz-".length());
                Files.copy(content, bzImage, StandardCopyOption.REPLACE_EXISTING);
            } else if (isModule(name)) {
                byte[] bytes = readModule(name, content);
                Map<String, String> info;
                try {
                    info = ElfFile.modinfo(bytes);
                } catch (IOException e) {
                    LOG.debug("skipping {}: {}", name, e.getMessage());
                    return;
                }
                String moduleName = info.getOrDefault("name", baseName(name));
                shipped.putIfAbsent(moduleName, new ModuleEntry(name, splitDepends(info.get("depends"))));
            }
        });
        if (kernelVersion[0] == null) {
            throw new IOException(debFile + " contains no boot/vmlinuz-* kernel; use a linux-image"
                    + " package such as the one linux-image-amd64 depends on");
        }

        List<String> order = new ArrayList<>();
        Set<String> builtIn = new LinkedHashSet<>();
        for (String module : requiredModules) {
            addWithDependencies(module, shipped, order, builtIn, new LinkedHashSet<>());
        }
        Map<String, String> requested = new HashMap<>();
        for (String module : order) {
            requested.put(shipped.get(module).archivePath(), module);
        }
        Path moduleDir = Files.createDirectories(workDir.resolve("modules"));
        deb.readData((name, entry, content) -> {
            String module = requested.get(name);
            if (module != null) {
                Files.write(moduleDir.resolve(module + ".ko"), readModule(name, content));
            }
        });

        List<Module> modules = new ArrayList<>();
        for (String module : order) {
            modules.add(new Module(module, moduleDir.resolve(module + ".ko")));
        }
        LOG.info("kernel {} from {} {}: modules {}, built in or absent {}", kernelVersion[0],
                control.get("Package"), control.get("Version"), order, builtIn);
        return new Result(kernelVersion[0], control.getOrDefault("Package", "unknown"),
                control.getOrDefault("Version", "unknown"), bzImage, List.copyOf(modules),
                List.copyOf(builtIn));
    }

    private static void addWithDependencies(String module, Map<String, ModuleEntry> shipped,
            List<String> order, Set<String> builtIn, Set<String> visiting) throws IOException {
        if (order.contains(module) || builtIn.contains(module)) {
            return;
        }
        ModuleEntry entry = shipped.get(module);
        if (entry == null) {
            builtIn.add(module);
            return;
        }
        if (!visiting.add(module)) {
            throw new IOException("kernel modules depend on each other in a cycle: " + visiting);
        }
        for (String dependency : entry.depends()) {
            addWithDependencies(dependency, shipped, order, builtIn, visiting);
        }
        visiting.remove(module);
        order.add(module);
    }

    private static boolean isModule(String name) {
        boolean inModuleTree = name.startsWith("lib/modules/") || name.startsWith("usr/lib/modules/");
        return inModuleTree && (name.endsWith(".ko") || name.endsWith(".ko.xz"));
    }

    private static byte[] readModule(String name, InputStream content) throws IOException {
        InputStream in = content;
        if (name.endsWith(".xz")) {
            byte[] packed = content.readNBytes(MAX_MODULE_BYTES);
            in = new XZCompressorInputStream(new ByteArrayInputStream(packed));
        }
        byte[] bytes = in.readNBytes(MAX_MODULE_BYTES + 1);
        if (bytes.length > MAX_MODULE_BYTES) {
            throw new IOException(name + " is larger than the maximum of " + MAX_MODULE_BYTES + " bytes");
        }
        return bytes;
    }

    private static String baseName(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        return file.substring(0, file.indexOf(".ko")).replace('-', '_');
    }

    private static List<String> splitDepends(String depends) {
        List<String> names = new ArrayList<>();
        if (depends == null) {
            return names;
        }
        for (String name : depends.split(",")) {
            if (!name.isBlank()) {
                names.add(name.strip().replace('-', '_'));
            }
        }
        return names;
    }
}
