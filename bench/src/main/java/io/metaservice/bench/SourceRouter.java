package io.metaservice.bench;

import io.metaservice.host.MetaService;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Routes each request to the {@link MetaService} of its connection's source address, as a host
 * serving many guests on one listener does. Simulated guests bind distinct loopback source
 * addresses ({@link #guestAddress}); requests from 127.0.0.1 go to the default service.
 *
 * <p>It also serves {@value #ONE_BYTE_PATH}, a 1-byte body, as the baseline of the action round
 * trip on the same server. A request from an unknown source gets {@code 403}, as in the protocol.
 */
final class SourceRouter extends Handler.Abstract {

    static final String ONE_BYTE_PATH = "/bench/one-byte";
    private static final ByteBuffer ONE_BYTE = ByteBuffer.wrap(new byte[] {'x'}).asReadOnlyBuffer();

    private final Map<InetAddress, MetaService> services = new ConcurrentHashMap<>();
    private final MetaService defaultService;

    SourceRouter(MetaService defaultService) {
        this.defaultService = defaultService;
    }

    /**
     * Returns the loopback source address of simulated guest {@code index}: 127.1.X.Y with Y
     * never 0 or 255, which gives 250 guests per X and 64 000 in all.
     */
    static InetAddress guestAddress(int index) {
        if (index < 0 || index >= 250 * 256) {
            throw new IllegalArgumentException("guest index " + index + " is outside 0 to 63999");
        }
        byte[] address = {127, 1, (byte) (index / 250), (byte) (index % 250 + 1)};
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4-byte address is always valid", e);
        }
    }

    void add(int index, MetaService service) {
        services.put(guestAddress(index), service);
    }

    /** Returns the polls parked in every service, the default one included. */
    int parkedPolls() {
        int total = defaultService == null ? 0 : defaultService.parkedPolls();
        for (MetaService service : services.values()) {
            total += service.parkedPolls();
        }
        return total;
    }

    void closeAll() {
        services.values().forEach(MetaService::close);
        if (defaultService != null) {
            defaultService.close();
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (ONE_BYTE_PATH.equals(request.getHttpURI().getPath())) {
            response.setStatus(200);
            response.write(true, ONE_BYTE.slice(), callback);
            return true;
        }
        MetaService service = route(request.getConnectionMetaData().getRemoteSocketAddress());
        if (service == null) {
            Response.writeError(request, response, callback, 403);
            return true;
        }
        return service.handle(request, response, callback);
    }

    private MetaService route(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress socket)) {
            return null;
        }
        InetAddress address = socket.getAddress();
        if (address != null && address.equals(InetAddress.getLoopbackAddress())) {
            return defaultService;
        }
        return address == null ? null : services.get(address);
    }
}
