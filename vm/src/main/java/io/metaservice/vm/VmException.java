package io.metaservice.vm;

/** Building a guest image, or starting or running a virtual machine, failed. */
public class VmException extends Exception {

    public VmException(String message) {
        super(message);
    }

    public VmException(String message, Throwable cause) {
        super(message, cause);
    }
}
