package io.metaservice.bench;

import io.metaservice.protocol.Protocol;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Simulated idle guests: one non-blocking socket per guest, each bound to the guest's loopback
 * source address, that keeps a long poll open and polls again whenever a response arrives. One
 * selector thread drives them all, and its CPU time shows whether it kept up.
 */
final class IdlePollers implements AutoCloseable {

    /** Connects in progress at once; more would overflow the server's accept queue. */
    private static final int MAX_CONNECTING = 256;
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;
    private static final byte[] POLL_REQUEST = ("GET " + Protocol.POLL_PATH
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final int guests;
    private final int port;
    private final Selector selector;
    private final Thread thread;
    private final CountDownLatch connected;
    private final AtomicLong responses = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean stopped;
    private volatile String firstFailure;

    private IdlePollers(int guests, int port) throws IOException {
        this.guests = guests;
        this.port = port;
        this.selector = Selector.open();
        this.connected = new CountDownLatch(guests);
        this.thread = new Thread(this::loop, "idle-pollers");
        this.thread.setDaemon(true);
    }

    /** Starts {@code guests} pollers against the server on 127.0.0.1:{@code port}. */
    static IdlePollers start(int guests, int port) throws IOException {
        IdlePollers pollers = new IdlePollers(guests, port);
        pollers.thread.start();
        return pollers;
    }

    /** Waits until every poller has connected and sent its first poll. */
    boolean awaitConnected(long timeout, TimeUnit unit) throws InterruptedException {
        return connected.await(timeout, unit);
    }

    long responses() {
        return responses.get();
    }

    long failures() {
        return failures.get();
    }

    String firstFailure() {
        return firstFailure;
    }

    /** Returns the CPU time of the selector thread so far, in nanoseconds. */
    long cpuNanos() {
        return ManagementFactory.getThreadMXBean().getThreadCpuTime(thread.getId());
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        selector.wakeup();
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    /** Per-connection state: the bytes of the response read so far. */
    private static final class Poller {
        final ByteBuffer response = ByteBuffer.allocate(MAX_RESPONSE_BYTES);
    }

    private void loop() {
        int next = 0;
        int connecting = 0;
        try {
            while (!stopped) {
                while (next < guests && connecting < MAX_CONNECTING) {
                    connect(next++);
                    connecting++;
                }
                selector.select(1000);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isConnectable()) {
                        connecting--;
                        finishConnect(key);
                    } else if (key.isReadable()) {
                        read(key);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            fail("selector failed: " + e);
        } finally {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException e) {
                    fail("cannot close a poller: " + e);
                }
            }
            try {
                selector.close();
            } catch (IOException e) {
                fail("cannot close the selector: " + e);
            }
        }
    }

    private void connect(int index) throws IOException {
        SocketChannel channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.bind(new InetSocketAddress(SourceRouter.guestAddress(index), 0));
        channel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        channel.register(selector, SelectionKey.OP_CONNECT, new Poller());
    }

    private void finishConnect(SelectionKey key) {
        SocketChannel channel = (SocketChannel) key.channel();
        try {
            channel.finishConnect();
            sendPoll(channel);
            key.interestOps(SelectionKey.OP_READ);
            connected.countDown();
        } catch (IOException e) {
            fail("connect failed: " + e);
            key.cancel();
        }
    }

    private void read(SelectionKey key) {
        SocketChannel channel = (SocketChannel) key.channel();
        Poller poller = (Poller) key.attachment();
        try {
            int n = channel.read(poller.response);
            if (n < 0) {
                fail("the server closed a poll connection");
                key.cancel();
                channel.close();
                return;
            }
            while (consumeResponse(poller.response)) {
                responses.incrementAndGet();
                sendPoll(channel);
            }
            if (!poller.response.hasRemaining()) {
                throw new IOException("poll response longer than " + MAX_RESPONSE_BYTES + " bytes");
            }
        } catch (IOException | RuntimeException e) {
            fail("poll failed: " + e);
            key.cancel();
        }
    }

    /** Removes one complete response from the front of {@code buffer}; false if incomplete. */
    private static boolean consumeResponse(ByteBuffer buffer) throws IOException {
        String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return false;
        }
        int length = -1;
        for (String line : text.substring(0, headEnd).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        if (length < 0) {
            throw new IOException("poll response without Content-Length");
        }
        int total = headEnd + 4 + length;
        if (buffer.position() < total) {
            return false;
        }
        buffer.flip();
        buffer.position(total);
        buffer.compact();
        return true;
    }

    private static void sendPoll(SocketChannel channel) throws IOException {
        ByteBuffer request = ByteBuffer.wrap(POLL_REQUEST);
        // The request is far smaller than a socket buffer, so one write sends it whole.
        channel.write(request);
        if (request.hasRemaining()) {
            throw new IOException("poll request not written whole");
        }
    }

    private void fail(String message) {
        if (failures.getAndIncrement() == 0) {
            firstFailure = message;
        }
    }
}
