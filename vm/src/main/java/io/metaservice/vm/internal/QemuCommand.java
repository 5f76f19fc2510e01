package io.metaservice.vm.internal;

import io.metaservice.protocol.Protocol;
import io.metaservice.vm.Accelerator;
import io.metaservice.vm.GuestImage;
import io.metaservice.vm.GuestNetwork;
import io.metaservice.vm.VmOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@code qemu-system-x86_64} for one guest.
 *
 * <p>The only network is QEMU's user-mode stack with {@code restrict=on}, which drops every
 * packet the guest sends except those to a forward. Its one forward, {@code guestfwd}, takes
 * connections to the meta-data address and port and runs a program for each of them, with
 * the connection on its standard input and output; that program, socat, connects them to the
 * service's Unix domain socket. Nothing listens on a host port.
 */
public final class QemuCommand {

    /** Kernel command line: serial console, quiet boot, power off at once on a panic. */
    static final String KERNEL_ARGUMENTS = "console=ttyS0 quiet panic=-1";

    private QemuCommand() {
    }

    /** The files of one run that QEMU reads or writes. */
    public record RunFiles(Path serviceSocket, Path serialLog, Path forwardLog) {
    }

    /**
     * Returns the QEMU arguments, the executable first.
     *
     * @param socat the program that connects each forwarded connection to the service's socket
     */
    public static List<String> build(Path qemu, Path socat, GuestImage image, VmOptions options,
            Accelerator accelerator, RunFiles files) {
        List<String> command = new ArrayList<>(List.of(qemu.toString(),
                "-name", "metaservice-guest",
                "-machine", "pc",
                "-nodefaults", "-no-user-config",
                "-display", "none",
                "-no-reboot"));
        command.addAll(accelerator.qemuArguments());
        command.addAll(List.of(
                "-m", Integer.toString(options.memoryMiB()),
                "-smp", Integer.toString(options.cpus()),
                "-kernel", image.kernel().toString(),
                "-initrd", image.initramfs().toString(),
                "-append", KERNEL_ARGUMENTS,
                "-chardev", "file,id=console,path=" + escapeOption(files.serialLog().toString()),
                "-serial", "chardev:console",
                "-netdev", networkBackend(socat, files),
                // romfile= skips the network boot ROM, which a kernel boot never uses.
                "-device", "virtio-net-pci,netdev=net0,romfile="));
        return command;
    }

    // TODO: QEMU starts one socat process per guest connection and sets no limit, so a hostile
    //  guest that opens many connections starts as many host processes. Bound them, for example
    //  with a forward command that refuses a connection past a number of live relays.
    private static String networkBackend(Path socat, RunFiles files) {
        // QEMU splits the program with GLib's shell rules, without a shell: quote, don't redirect.
        String forward = shellQuote(socat.toString()) + " -lf " + shellQuote(files.forwardLog().toString())
                + " STDIO " + shellQuote("UNIX-CONNECT:" + files.serviceSocket());
        return "user,id=net0,restrict=on"
                + ",net=" + GuestNetwork.NETWORK
                + ",host=" + GuestNetwork.GATEWAY
                + ",guestfwd=tcp:" + Protocol.DEFAULT_HOST + ":" + Protocol.DEFAULT_PORT
                + "-cmd:" + escapeOption(forward);
    }

    /** Doubles commas, which QEMU's option parser reads as separators. */
    public static String escapeOption(String value) {
        return value.replace(",", ",,");
    }

    /** Quotes a word for GLib's {@code g_shell_parse_argv}, which follows the shell's rules. */
    static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
