package io.metaservice.vm;

/**
 * A program or file that building or running a virtual machine needs is not on this host. The
 * message names what is missing and the Debian package that provides it.
 */
public final class MissingToolException extends VmException {

    private final String tool;
    private final String debianPackage;

    public MissingToolException(String tool, String debianPackage, String detail) {
        super(tool + " not found: " + detail + "; install the Debian package '" + debianPackage
                + "' (apt-get install " + debianPackage + ")");
        this.tool = tool;
        this.debianPackage = debianPackage;
    }

    /** Returns the missing program or file, such as {@code qemu-system-x86_64}. */
    public String tool() {
        return tool;
    }

    /** Returns the Debian package that provides it. */
    public String debianPackage() {
        return debianPackage;
    }
}
