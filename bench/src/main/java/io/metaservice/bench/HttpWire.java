package io.metaservice.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import io.metaservice.protocol.Protocol;

/**
 * A minimal blocking HTTP/1.1 client on a plain socket, so that the log figures measure the
 * server and not a client library: the same write loop as the loopback baseline.
 */
final class HttpWire {

    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private HttpWire() {
    }

    /**
     * Streams {@code bytes} zero bytes as one {@code POST} of the log end-point from
     * {@code source} and returns the response status.
     */
    static int postLog(InetAddress source, int port, long bytes) throws IOException {
        try (Socket socket = new Socket()) {
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            OutputStream out = socket.getOutputStream();
            String head = "POST " + Protocol.LOG_PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: " + bytes
                    + "\r\nConnection: close\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            Loopback.writeZeros(out, bytes);
            return readStatus(socket.getInputStream());
        }
    }

    /** Sends a {@code GET} of {@code path} and returns the response status. */
    static int get(int port, String path) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return readStatus(socket.getInputStream());
        }
    }

    static int readStatus(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (line.size() >= MAX_HEAD_BYTES) {
                throw new IOException("status line longer than " + MAX_HEAD_BYTES + " bytes");
            }
            line.write(b);
        }
        String status = line.toString(StandardCharsets.US_ASCII).trim();
        String[] parts = status.split(" ");
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("invalid HTTP status line: '" + status + "'");
        }
        return Integer.parseInt(parts[1]);
    }
}
