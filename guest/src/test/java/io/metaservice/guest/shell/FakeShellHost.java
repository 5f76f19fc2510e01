package io.metaservice.guest.shell;

import io.metaservice.protocol.shell.ShellCodec;
import io.metaservice.protocol.shell.ShellMessage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's end of one shell, written on a plain server socket on a loopback port, so that a
 * test controls every frame. It can send malformed, fragmented and oversized messages and stay
 * silent, which a websocket library would not allow.
 */
final class FakeShellHost implements AutoCloseable {

    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final Pattern KEY = Pattern.compile("(?im)^Sec-WebSocket-Key:\\s*(\\S+)\\s*$");
    private static final long WAIT_SECONDS = 20;

    final BlockingQueue<ShellMessage> received = new LinkedBlockingQueue<>();
    /** Completes with the status code of the guest's close message, or -1 if none came. */
    final CompletableFuture<Integer> closeStatus = new CompletableFuture<>();
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final ServerSocket server;
    private final boolean answerPings;
    private final Object writeLock = new Object();
    private volatile Socket connection;
    private volatile OutputStream out;

    /** Listens on a free loopback port; {@code answerPings} false makes the host silent. */
    FakeShellHost(boolean answerPings) throws IOException {
        this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        this.answerPings = answerPings;
        Thread acceptor = new Thread(this::serve, "fake-shell-host");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Returns the base URI that the guest uses. */
    URI baseUri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/");
    }

    /** Waits for the next shell message from the guest. */
    ShellMessage next() throws InterruptedException {
        ShellMessage message = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("no shell message from the guest within " + WAIT_SECONDS + " s");
        }
        return message;
    }

    /** Waits until the guest is connected. */
    void awaitConnected() throws Exception {
        connected.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    void sendBinary(ByteBuffer message) throws IOException {
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);
        sendFrame(true, 2, bytes);
    }

    void sendBytes(int... values) throws IOException {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        sendFrame(true, 2, bytes);
    }

    void sendText(String text) throws IOException {
        sendFrame(true, 1, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one frame: {@code opcode} 0 continues a message, 1 is text, 2 binary. */
    void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(payload.length);
        } else if (payload.length < 65536) {
            frame.write(126);
            frame.write(payload.length >> 8);
            frame.write(payload.length);
        } else {
            frame.write(127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >> shift));
            }
        }
        frame.write(payload, 0, payload.length);
        synchronized (writeLock) {
            out.write(frame.toByteArray());
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Socket current = connection;
        if (current != null) {
            current.close();
        }
    }

    private void serve() {
        try (Socket socket = server.accept()) {
            connection = socket;
            InputStream in = socket.getInputStream();
            String request = readHeaders(in);
            Matcher key = KEY.matcher(request);
            if (!key.find()) {
                throw new IOException("no Sec-WebSocket-Key in the request:\n" + request);
            }
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((key.group(1) + WEBSOCKET_GUID).getBytes(StandardCharsets.US_ASCII));
            OutputStream output = socket.getOutputStream();
            output.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                    + Base64.getEncoder().encodeToString(digest) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            output.flush();
            out = output;
            connected.complete(null);
            readFrames(new DataInputStream(in));
        } catch (Exception e) {
            closeStatus.complete(-1);
        }
    }

    private void readFrames(DataInputStream in) throws IOException {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        while (true) {
            int first = in.readUnsignedByte();
            int second = in.readUnsignedByte();
            long length = second & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] mask = new byte[4];
            if ((second & 0x80) != 0) {
                in.readFully(mask);
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i % 4];
            }
            int opcode = first & 0x0f;
            boolean fin = (first & 0x80) != 0;
            switch (opcode) {
                case 0, 2 -> {
                    message.write(payload, 0, payload.length);
                    if (fin) {
                        ShellMessage decoded = ShellCodec.decode(ByteBuffer.wrap(message.toByteArray()));
                        if (decoded != null) {
                            received.add(copy(decoded));
                        }
                        message.reset();
                    }
                }
                case 8 -> {
                    int status = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                    closeStatus.complete(status);
                    sendFrame(true, 8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
                    return;
                }
                case 9 -> {
                    if (answerPings) {
                        sendFrame(true, 10, payload);
                    }
                }
                default -> {
                    // pongs and text from the guest are not expected and not needed
                }
            }
        }
    }

    private static ShellMessage copy(ShellMessage message) {
        if (message.type() != ShellMessage.Type.DATA) {
            return message;
        }
        ByteBuffer payload = ByteBuffer.allocate(message.payload().remaining());
        payload.put(message.payload()).flip();
        return ShellMessage.data(message.stream(), payload);
    }

    private static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended inside the request headers");
            }
            headers.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return headers.toString(StandardCharsets.US_ASCII);
    }
}
