package io.metaservice.vm;

import java.util.List;

/**
 * The sources that a guest image was built from, stored as {@value GuestImage#MANIFEST_FILE} in the image
 * folder.
 *
 * @param formatVersion the layout of the image folder; {@value #FORMAT_VERSION} for this code
 * @param kernelRelease the kernel release, as {@code uname -r} prints it in the guest
 * @param kernelPackage the Debian package the kernel came from
 * @param kernelPackageVersion that package's version
 * @param kernelFile the kernel's file name in the image folder
 * @param kernelFormat {@value #KERNEL_ELF} for an uncompressed kernel booted through its PVH
 *     entry, {@value #KERNEL_BZIMAGE} for the compressed kernel as shipped
 * @param kernelModules the modules that init loads, in load order
 * @param javaVersion the version of the guest's Java runtime
 * @param javaModules the modules linked into that runtime
 * @param agentVersion the metaservice version of the agent
 * @param agentClasspath the agent's jars, relative to {@code /opt/metaservice} in the guest
 * @param agentClassDataSharing whether the image has a class-data sharing archive of the agent
 * @param busyboxVersion the first line of {@code busybox --help}
 * @param initramfsFile the initramfs's file name in the image folder
 * @param initramfsBytes the initramfs's size
 * @param guestAddress the guest's address and prefix length
 * @param gateway the address of QEMU's virtual gateway
 * @param builtAt when the image was built, in ISO-8601 form
 */
public record ImageManifest(
        int formatVersion,
        String kernelRelease,
        String kernelPackage,
        String kernelPackageVersion,
        String kernelFile,
        String kernelFormat,
        List<String> kernelModules,
        String javaVersion,
        List<String> javaModules,
        String agentVersion,
        List<String> agentClasspath,
        boolean agentClassDataSharing,
        String busyboxVersion,
        String initramfsFile,
        long initramfsBytes,
        String guestAddress,
        String gateway,
        String builtAt) {

    public static final int FORMAT_VERSION = 1;
    public static final String KERNEL_ELF = "elf-pvh";
    public static final String KERNEL_BZIMAGE = "bzimage";
}
