package io.metaservice.vm;

import io.metaservice.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A guest image folder: a kernel, an initramfs that boots to the metaservice agent, and the
 * manifest of what they were built from. {@link ImageBuilder} makes one.
 *
 * @param folder the image folder
 * @param kernel the kernel file that QEMU boots
 * @param initramfs the cpio archive that becomes the guest's root file system
 * @param manifest what the image was built from
 */
public record GuestImage(Path folder, Path kernel, Path initramfs, ImageManifest manifest) {

    /** The manifest's file name in the image folder. */
    public static final String MANIFEST_FILE = "manifest.json";
    /** Largest manifest read; real ones are about 2 KiB. */
    private static final long MAX_MANIFEST_BYTES = 1 << 20;

    /**
     * Returns the folder that {@code metaservice image build} and {@code metaservice run --vm}
     * use when given none: {@code $XDG_DATA_HOME/metaservice/image}, or
     * {@code ~/.local/share/metaservice/image} when that variable is not set.
     */
    public static Path defaultFolder() {
        String data = System.getenv("XDG_DATA_HOME");
        Path base = data != null && !data.isEmpty()
                ? Path.of(data)
                : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("metaservice").resolve("image");
    }

    /**
     * Opens the image in {@code folder} and checks that its files exist.
     *
     * @throws VmException when the folder is not a guest image of this version
     */
    public static GuestImage load(Path folder) throws VmException {
        Path manifestFile = folder.resolve(MANIFEST_FILE);
        if (!Files.isRegularFile(manifestFile)) {
            throw new VmException("no guest image in " + folder + ": " + MANIFEST_FILE
                    + " is missing; build one with 'metaservice image build --out " + folder + "'");
        }
        ImageManifest manifest;
        try {
            long size = Files.size(manifestFile);
            if (size > MAX_MANIFEST_BYTES) {
                throw new VmException(manifestFile + " has " + size + " bytes, more than the maximum of "
                        + MAX_MANIFEST_BYTES);
            }
            manifest = Json.MAPPER.readValue(manifestFile.toFile(), ImageManifest.class);
        } catch (IOException e) {
            throw new VmException("cannot read the image manifest " + manifestFile + ": " + e.getMessage(), e);
        }
        if (manifest.formatVersion() != ImageManifest.FORMAT_VERSION) {
            throw new VmException("the image in " + folder + " has format version "
                    + manifest.formatVersion() + ", but this metaservice reads version "
                    + ImageManifest.FORMAT_VERSION + "; build the image again");
        }
        GuestImage image = new GuestImage(folder, folder.resolve(manifest.kernelFile()),
                folder.resolve(manifest.initramfsFile()), manifest);
        for (Path file : new Path[] {image.kernel(), image.initramfs()}) {
            if (!file.normalize().startsWith(folder.normalize()) || !Files.isRegularFile(file)) {
                throw new VmException("the image in " + folder + " is incomplete: " + file
                        + " is missing; build the image again");
            }
        }
        return image;
    }
}
