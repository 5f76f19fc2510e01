package io.metaservice.guest.shell;

import com.pty4j.unix.CLibrary;
import io.metaservice.guest.internal.TerminalInput;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A shell process without a terminal: bytes pass through unchanged, and stdout and stderr stay
 * apart.
 *
 * <p>Standard input is the JDK's pipe. Standard output and error are pipes that the shell
 * creates itself with {@code pipe(2)}, and the JDK opens their write ends for the child
 * through {@code /proc/self/fd}. A read of them waits in {@code poll(2)} through
 * {@link TerminalInput}, so it ends on {@code close()} even while a background child of the
 * shell keeps the write end open; a read of the JDK's own pipe would wait until that child
 * exits. Linux only, as is the rest of the agent.
 */
final class PipeShellProcess extends ShellProcess {

    private final int outputFd;
    private final int errorFd;
    private final TerminalInput output;
    private final TerminalInput errorOutput;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PipeShellProcess(Process process, int outputFd, int errorFd) {
        super(process);
        this.outputFd = outputFd;
        this.errorFd = errorFd;
        this.output = new TerminalInput(outputFd);
        this.errorOutput = new TerminalInput(errorFd);
    }

    /** Starts {@code argv}, whose first element is an absolute program path. */
    static PipeShellProcess start(List<String> argv, Map<String, String> environment,
            Path workdir) throws IOException {
        int[] stdout = pipe();
        int[] stderr;
        try {
            stderr = pipe();
        } catch (IOException e) {
            closeAll(stdout);
            throw e;
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .directory(workdir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(descriptorFile(stdout[1])))
                    .redirectError(ProcessBuilder.Redirect.appendTo(descriptorFile(stderr[1])));
            builder.environment().clear();
            builder.environment().putAll(environment);
            Process process = builder.start();
            return new PipeShellProcess(process, stdout[0], stderr[0]);
        } catch (IOException | RuntimeException e) {
            CLibrary.close(stdout[0]);
            CLibrary.close(stderr[0]);
            throw e;
        } finally {
            // The child has its own copies; the output ends when the child's copies close.
            CLibrary.close(stdout[1]);
            CLibrary.close(stderr[1]);
        }
    }

    @Override
    OutputStream input() {
        return process().getOutputStream();
    }

    @Override
    void endInput() throws IOException {
        process().getOutputStream().close();
    }

    @Override
    InputStream output() {
        return output;
    }

    @Override
    Optional<InputStream> errorOutput() {
        return Optional.of(errorOutput);
    }

    @Override
    void resize(int columns, int rows) {
        // Without a terminal there is no size, and the protocol ignores the message.
    }

    @Override
    void exited() {
        // The pipes end by themselves once every holder of their write ends has exited.
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        output.close();
        errorOutput.close();
        CLibrary.close(outputFd);
        CLibrary.close(errorFd);
        try {
            process().getOutputStream().close();
        } catch (IOException ignored) {
            // The process has exited and the pipe is broken; nothing is left to release.
        }
    }

    private static int[] pipe() throws IOException {
        int[] descriptors = new int[2];
        if (CLibrary.pipe(descriptors) != 0) {
            throw new IOException("cannot create a pipe: errno " + CLibrary.errno());
        }
        return descriptors;
    }

    private static void closeAll(int[] descriptors) {
        for (int descriptor : descriptors) {
            CLibrary.close(descriptor);
        }
    }

    private static File descriptorFile(int descriptor) {
        return new File("/proc/self/fd/" + descriptor);
    }
}
