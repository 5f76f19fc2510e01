package io.metaservice.vm;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one virtual machine.
 *
 * @param memoryMiB guest memory in MiB; during boot it contains the initramfs twice, as loaded and
 *     as unpacked, about 230 MiB, and then the agent and the task
 * @param cpus virtual CPUs
 * @param deadline time after which the machine is killed, however far the run has got
 * @param accelerator the accelerator to use, or null to detect one
 * @param networkIsolation whether QEMU runs in a network namespace of its own
 */
public record VmOptions(int memoryMiB, int cpus, Duration deadline, Accelerator accelerator,
        NetworkIsolation networkIsolation) {

    public static final int DEFAULT_MEMORY_MIB = 1024;
    /**
     * One CPU by default: under emulation a second vCPU costs a host thread and made the agent's
     * start-up slower, not faster, on a 2-core host.
     */
    public static final int DEFAULT_CPUS = 1;
    public static final Duration DEFAULT_DEADLINE = Duration.ofHours(1);
    static final int MIN_MEMORY_MIB = 512;
    static final int MAX_MEMORY_MIB = 1 << 20;
    static final int MAX_CPUS = 64;

    public VmOptions {
        if (memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
            throw new IllegalArgumentException("invalid memory " + memoryMiB + " MiB: expected "
                    + MIN_MEMORY_MIB + " to " + MAX_MEMORY_MIB);
        }
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("invalid CPU count " + cpus + ": expected 1 to " + MAX_CPUS);
        }
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("invalid deadline " + deadline + ": expected a positive time");
        }
        Objects.requireNonNull(networkIsolation, "networkIsolation");
    }

    /** Returns the defaults: {@value #DEFAULT_MEMORY_MIB} MiB, one CPU, one hour, detected accelerator. */
    public static VmOptions defaults() {
        return new VmOptions(DEFAULT_MEMORY_MIB, DEFAULT_CPUS, DEFAULT_DEADLINE, null, NetworkIsolation.AUTO);
    }

    public VmOptions withMemoryMiB(int value) {
        return new VmOptions(value, cpus, deadline, accelerator, networkIsolation);
    }

    public VmOptions withCpus(int value) {
        return new VmOptions(memoryMiB, value, deadline, accelerator, networkIsolation);
    }

    public VmOptions withDeadline(Duration value) {
        return new VmOptions(memoryMiB, cpus, value, accelerator, networkIsolation);
    }

    public VmOptions withAccelerator(Accelerator value) {
        return new VmOptions(memoryMiB, cpus, deadline, value, networkIsolation);
    }

    public VmOptions withNetworkIsolation(NetworkIsolation value) {
        return new VmOptions(memoryMiB, cpus, deadline, accelerator, value);
    }
}
