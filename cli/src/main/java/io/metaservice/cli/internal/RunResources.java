package io.metaservice.cli.internal;

import io.metaservice.host.GuestServer;
import io.metaservice.host.MetaService;
import io.metaservice.vm.VirtualMachine;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resources of one {@code metaservice run}: the service, its server, the local guest agent and
 * the temporary run folder. {@link #close()} releases them in that order, once, whether the run
 * ends normally, times out or is stopped by a signal.
 *
 * <p>{@code this} guards every field, so a shutdown hook and the main thread can both call
 * {@link #close()}.
 */
public final class RunResources {

    private static final Logger LOG = LoggerFactory.getLogger(RunResources.class);

    /** The temporary folder of the run, or null before it exists. */
    private Path runFolder;
    /** The service, or null before it exists. */
    private MetaService service;
    /** The server, or null before it has started. */
    private GuestServer server;
    /** The local guest agent, or null when there is none. */
    private LocalGuest guest;
    /** The virtual machine of a {@code --vm} run, or null when there is none. */
    private VirtualMachine machine;
    private boolean closed;

    public synchronized void setRunFolder(Path runFolder) {
        this.runFolder = runFolder;
    }

    public synchronized void setService(MetaService service) {
        this.service = service;
    }

    /** Returns whether {@link #close()} has started. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Takes over the server; stops it at once when {@link #close()} has already run. */
    public synchronized void setServer(GuestServer server) {
        this.server = server;
        if (closed) {
            stopServer();
        }
    }

    /** Takes over the local agent; stops it at once when {@link #close()} has already run. */
    public synchronized void setGuest(LocalGuest guest) {
        this.guest = guest;
        if (closed) {
            guest.close();
        }
    }

    /** Takes over the virtual machine; powers it off at once when {@link #close()} has already run. */
    public synchronized void setVirtualMachine(VirtualMachine machine) {
        this.machine = machine;
        if (closed) {
            machine.close();
        }
    }

    /**
     * Stops the pollers, stops the local agent or the virtual machine and their processes, stops
     * the server and deletes the run folder. Later calls do nothing.
     */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (service != null) {
            service.stopPollers();
        }
        if (guest != null) {
            guest.close();
        }
        if (machine != null) {
            machine.close();
        }
        if (server != null) {
            stopServer();
        }
        if (runFolder != null) {
            deleteTree(runFolder);
        }
    }

    private void stopServer() {
        try {
            server.close();
        } catch (Exception e) {
            LOG.warn("cannot stop the guest API server: {}", e.toString());
        }
    }

    /** Deletes a folder and everything below it, removing symbolic links without following them. */
    static void deleteTree(Path folder) {
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                        throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure)
                        throws IOException {
                    if (failure != null) {
                        throw failure;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot delete the run folder {}: {}", folder, e.toString());
        }
    }
}
