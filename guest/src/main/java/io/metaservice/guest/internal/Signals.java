package io.metaservice.guest.internal;

import com.pty4j.unix.PtyHelpers;
import java.util.Locale;

/**
 * Sends POSIX signals to processes by id, through the C library binding that pty4j already
 * loads. Without that binding only SIGKILL can be sent, through {@link ProcessHandle}.
 *
 * <p>Stateless and thread-safe.
 */
final class Signals {

    private static final System.Logger LOG = System.getLogger(Signals.class.getName());

    static final int SIGKILL = 9;
    /**
     * SIGSTOP on Linux for x86, ARM, RISC-V, PowerPC and s390x. MIPS, SPARC and Alpha number it
     * differently, so {@link #canStop()} is false there.
     */
    static final int SIGSTOP = 19;

    private static final PtyHelpers.OSFacade LIBC = loadLibc();
    private static final boolean CAN_STOP = LIBC != null && stopNumberIsKnown();

    private Signals() {
    }

    /** Returns whether {@link #SIGSTOP} is the stop signal on this machine and can be sent. */
    static boolean canStop() {
        return CAN_STOP;
    }

    /** Sends {@code signal} to process {@code pid}; a process that is already gone is ignored. */
    static void send(long pid, int signal) {
        if (pid <= 1 || pid > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("invalid process id " + pid);
        }
        if (LIBC != null) {
            LIBC.kill((int) pid, signal);
            return;
        }
        if (signal == SIGKILL) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            return;
        }
        throw new UnsupportedOperationException("cannot send signal " + signal
                + " without the C library binding");
    }

    private static PtyHelpers.OSFacade loadLibc() {
        try {
            return PtyHelpers.getInstance();
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING,
                    "C library binding unavailable, killing with SIGKILL only", e);
            return null;
        }
    }

    private static boolean stopNumberIsKnown() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            return false;
        }
        return !(arch.contains("mips") || arch.contains("sparc") || arch.contains("alpha"));
    }
}
