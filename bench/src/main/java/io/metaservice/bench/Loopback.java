package io.metaservice.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Baselines: plain blocking socket copies over loopback with the same buffer size as the
 * benchmark clients, so they show what this machine's kernel and JVM can move without HTTP.
 */
final class Loopback {

    static final int BUFFER_BYTES = 256 * 1024;
    private static final long TIMEOUT_SECONDS = 600;

    private Loopback() {
    }

    /**
     * Copies {@code bytesEach} from each of {@code clients} sockets to a server that discards
     * them, all at once, and returns the elapsed nanoseconds until every byte was read.
     */
    static long copyToDiscard(int clients, long bytesEach) throws Exception {
        try (ServerSocket server = new ServerSocket(0, clients, InetAddress.getLoopbackAddress())) {
            ExecutorService threads = Executors.newFixedThreadPool(2 * clients);
            try {
                List<Future<?>> readers = new ArrayList<>();
                List<Future<?>> writers = new ArrayList<>();
                long start = System.nanoTime();
                for (int i = 0; i < clients; i++) {
                    writers.add(threads.submit(() -> {
                        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(),
                                server.getLocalPort())) {
                            writeZeros(socket.getOutputStream(), bytesEach);
                        }
                        return null;
                    }));
                }
                for (int i = 0; i < clients; i++) {
                    Socket accepted = server.accept();
                    readers.add(threads.submit(() -> {
                        try (accepted) {
                            discard(accepted.getInputStream(), bytesEach);
                        }
                        return null;
                    }));
                }
                for (Future<?> future : writers) {
                    future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
                for (Future<?> future : readers) {
                    future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
                return System.nanoTime() - start;
            } finally {
                threads.shutdownNow();
            }
        }
    }

    /**
     * Sends {@code source} over a loopback socket to a server that writes it into
     * {@code target}, and returns the elapsed nanoseconds until the target file is complete.
     */
    static long copyFileOverSocket(Path source, Path target) throws Exception {
        long size = Files.size(source);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ExecutorService threads = Executors.newSingleThreadExecutor();
            try {
                long start = System.nanoTime();
                Future<?> sender = threads.submit(() -> {
                    try (Socket socket = new Socket();
                            InputStream in = Files.newInputStream(source)) {
                        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                                server.getLocalPort()));
                        copy(in, socket.getOutputStream());
                    }
                    return null;
                });
                try (Socket accepted = server.accept();
                        OutputStream out = Files.newOutputStream(target)) {
                    long copied = copy(accepted.getInputStream(), out);
                    if (copied != size) {
                        throw new IOException("copied " + copied + " bytes, expected " + size);
                    }
                }
                sender.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                return System.nanoTime() - start;
            } finally {
                threads.shutdownNow();
            }
        }
    }

    static void writeZeros(OutputStream out, long bytes) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        long left = bytes;
        while (left > 0) {
            int n = (int) Math.min(buffer.length, left);
            out.write(buffer, 0, n);
            left -= n;
        }
        out.flush();
    }

    static void discard(InputStream in, long bytes) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        long left = bytes;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("stream ended with " + left + " bytes missing");
            }
            left -= n;
        }
    }

    static long copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            total += n;
        }
        out.flush();
        return total;
    }
}
