package io.metaservice.vm.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Copies an agent class path into the image as jars. Class folders are packed into jars because
 * class-data sharing archives only classes from jars.
 *
 * <p>Every copy leaves out {@value #LOGGER_FINDER_SERVICE}, so that the agent logs through
 * {@code java.util.logging} to the serial console. The {@code metaservice} jar routes
 * {@link System.Logger} to logback, whose start-up took about 5 s of the agent's start under
 * emulation (QEMU 7.2 TCG, measured on a 2-core host).
 */
public final class JarPacker {

    static final String LOGGER_FINDER_SERVICE = "META-INF/services/java.lang.System$LoggerFinder";

    private JarPacker() {
    }

    /**
     * Copies each entry of {@code classpath} into {@code libFolder}, keeping the order, and
     * returns the new class path relative to the parent of {@code libFolder}, such as
     * {@code lib/00-metaservice.jar}.
     *
     * @throws IOException when an entry is neither a jar nor a folder
     */
    public static List<String> copyClasspath(List<Path> classpath, Path libFolder) throws IOException {
        Files.createDirectories(libFolder);
        List<String> relative = new ArrayList<>();
        int index = 0;
        for (Path entry : classpath) {
            String prefix = String.format("%02d-", index++);
            Path target;
            if (Files.isDirectory(entry)) {
                target = libFolder.resolve(prefix + folderJarName(entry));
                packFolder(entry, target);
            } else if (Files.isRegularFile(entry) && entry.getFileName().toString().endsWith(".jar")) {
                target = libFolder.resolve(prefix + entry.getFileName());
                copyJar(entry, target);
            } else {
                throw new IOException("agent class path entry " + entry + " is neither a jar nor a folder");
            }
            relative.add(libFolder.getFileName() + "/" + target.getFileName());
        }
        return relative;
    }

    /** Copies a jar entry by entry, without the logger finder service. */
    private static void copyJar(Path source, Path target) throws IOException {
        try (JarFile jar = new JarFile(source.toFile(), false);
                OutputStream out = Files.newOutputStream(target);
                ZipOutputStream zipOut = new ZipOutputStream(out)) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (entry.getName().equals(LOGGER_FINDER_SERVICE)) {
                    continue;
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setLastModifiedTime(entry.getLastModifiedTime());
                zipOut.putNextEntry(copy);
                try (InputStream in = jar.getInputStream(entry)) {
                    in.transferTo(zipOut);
                }
                zipOut.closeEntry();
            }
        }
    }

    private static String folderJarName(Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        // Maven's target/classes becomes <module>-classes.jar.
        if (parent != null && parent.getFileName() != null && parent.getParent() != null
                && parent.getFileName().toString().equals("target")) {
            return parent.getParent().getFileName() + "-" + absolute.getFileName() + ".jar";
        }
        return absolute.getFileName() + ".jar";
    }

    private static void packFolder(Path folder, Path jar) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out)) {
            for (Path file : files) {
                String name = folder.relativize(file).toString().replace('\\', '/');
                if (name.equals(LOGGER_FINDER_SERVICE)) {
                    continue;
                }
                JarEntry entry = new JarEntry(name);
                entry.setLastModifiedTime(FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis()));
                jarOut.putNextEntry(entry);
                Files.copy(file, jarOut);
                jarOut.closeEntry();
            }
        }
    }
}
