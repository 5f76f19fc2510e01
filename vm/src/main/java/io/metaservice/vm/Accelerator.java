package io.metaservice.vm;

import java.util.List;

/** The accelerator that runs the guest's CPU in QEMU. */
public enum Accelerator {

    /** Hardware virtualization through {@code /dev/kvm}, with the host's CPU model. */
    KVM("kvm", List.of("-cpu", "host")),
    /**
     * Software emulation. The CPU model has RDRAND, because without a hardware source the
     * guest's random-number generator takes about 10 s under emulation to become ready, and the
     * JVM waits for it at start-up.
     */
    TCG("tcg", List.of("-cpu", "qemu64,+rdrand"));

    private final String qemuName;
    private final List<String> cpuArguments;

    Accelerator(String qemuName, List<String> cpuArguments) {
        this.qemuName = qemuName;
        this.cpuArguments = cpuArguments;
    }

    /** Returns QEMU's arguments that select this accelerator and its CPU model. */
    public List<String> qemuArguments() {
        return List.of("-accel", qemuName, cpuArguments.get(0), cpuArguments.get(1));
    }
}
