package io.metaservice.host.daemon;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection of a test guest, speaking HTTP/1.1 by hand over TCP (optionally from a chosen
 * loopback source address) or over a Unix domain socket. Every read is bounded by
 * {@link DaemonFixture#WAIT}: a watchdog closes the channel when it passes.
 */
final class GuestConnection implements AutoCloseable {

    private static final ScheduledExecutorService WATCHDOG = Executors
            .newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "test-guest-watchdog");
                thread.setDaemon(true);
                return thread;
            });

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    private GuestConnection(SocketChannel channel) {
        this.channel = channel;
        // Not Channels.newInputStream: its streams share one lock, so a blocked read would
        // hold up a write from another thread, such as a trickle.
        this.in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                return length == 0 ? 0 : channel.read(ByteBuffer.wrap(bytes, offset, length));
            }
        };
        this.out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        };
    }

    /** Connects to {@code target} from {@code source}, or from any address when it is null. */
    static GuestConnection tcp(InetSocketAddress target, InetAddress source) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.INET);
        if (source != null) {
            channel.bind(new InetSocketAddress(source, 0));
        }
        channel.connect(target);
        return new GuestConnection(channel);
    }

    static GuestConnection unix(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return new GuestConnection(channel);
    }

    /** Sends a request with a fixed-length body and reads the response. */
    Reply request(String method, String path, byte[] body, String... headers) throws IOException {
        send(method, path, body, headers);
        return readReply(DaemonFixture.WAIT);
    }

    Reply request(String method, String path) throws IOException {
        return request(method, path, new byte[0]);
    }

    /** Sends a request with a fixed-length body, without reading the response. */
    void send(String method, String path, byte[] body, String... headers) throws IOException {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: guest\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        write(body);
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void write(String text) throws IOException {
        write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one response with a Content-Length or chunked body, waiting up to {@code wait}. */
    Reply readReply(Duration wait) throws IOException {
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(this::closeQuietly, wait.toMillis(), TimeUnit.MILLISECONDS);
        try {
            String statusLine = readLine();
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            byte[] body;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = readChunked();
            } else {
                body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            }
            return new Reply(status, headers, body);
        } finally {
            watchdog.cancel(false);
        }
    }

    /**
     * Waits up to {@code wait} for the server to close the connection, discarding what arrives.
     * Returns true when it closed, false when the wait passed first.
     */
    boolean awaitClose(Duration wait) {
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(this::closeQuietly, wait.toMillis(), TimeUnit.MILLISECONDS);
        try {
            while (in.read() >= 0) {
                // Discard a response the server sends before it closes.
            }
            return !watchdog.isDone();
        } catch (IOException e) {
            return !watchdog.isDone();
        } finally {
            watchdog.cancel(false);
        }
    }

    /** Closes a TCP connection with a reset instead of a normal close. */
    void reset() throws IOException {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
        channel.close();
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing a test connection that is already broken.
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new EOFException("the server closed the connection");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            int size = Integer.parseInt(readLine().split(";")[0].trim(), 16);
            if (size == 0) {
                readLine();
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            readLine();
        }
    }

    /** A response: status, headers with lower-case names, body. */
    record Reply(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
