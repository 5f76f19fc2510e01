package io.metaservice.host.daemon;

import io.metaservice.host.internal.Responses;
import io.metaservice.protocol.ErrorCode;
import io.metaservice.protocol.Protocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler of every guest listener: finds the guest that a request belongs to and passes
 * the request to that guest's service. A request on a guest's own connector belongs to that
 * guest; a request on the shared listener belongs to the guest whose subnet contains the
 * connection's source address, never to a guest with a connector of its own.
 *
 * <p>A request that maps to no guest gets {@code 403} with an empty body, and one for a
 * released guest gets {@code 404 NoSuchEndPoint}. The source address is the socket's peer:
 * no forwarding header can change it.
 *
 * <p>Concurrency: the routing tables are concurrent collections, read without a lock; the
 * daemon changes them under its own lock.
 */
final class GuestRouter extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(GuestRouter.class);

    private final GuestLimits limits;
    private final Map<Connector, Guest> byConnector = new ConcurrentHashMap<>();
    private final List<SubnetEntry> bySubnet = new CopyOnWriteArrayList<>();
    /** The shared listener, the only connector routed by source address; null if none. */
    private volatile Connector shared;

    GuestRouter(GuestLimits limits) {
        this.limits = limits;
    }

    void setShared(Connector connector) {
        shared = connector;
    }

    void addConnector(Connector connector, Guest guest) {
        byConnector.put(connector, guest);
    }

    void removeConnector(Connector connector) {
        byConnector.remove(connector);
    }

    void addSubnet(Subnet subnet, Guest guest) {
        bySubnet.add(new SubnetEntry(subnet, guest));
    }

    void removeSubnet(Guest guest) {
        bySubnet.removeIf(entry -> entry.guest() == guest);
    }

    /** Returns the guest whose subnet contains {@code remote}, or null. */
    Guest guestForSource(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress socket) || socket.getAddress() == null) {
            return null;
        }
        InetAddress address = socket.getAddress();
        for (SubnetEntry entry : bySubnet) {
            if (entry.subnet().contains(address)) {
                return entry.guest();
            }
        }
        return null;
    }

    /** Returns the guest that owns {@code connector}, or null for the shared listener. */
    Guest guestForConnector(Connector connector) {
        return byConnector.get(connector);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Connector connector = request.getConnectionMetaData().getConnector();
        Guest guest = connector == shared
                ? guestForSource(request.getConnectionMetaData().getRemoteSocketAddress())
                : byConnector.get(connector);
        if (guest == null) {
            LOG.debug("no guest for {} {} from {}", request.getMethod(), request.getHttpURI().getPath(),
                    request.getConnectionMetaData().getRemoteSocketAddress());
            response.setStatus(403);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
            response.write(true, BufferUtil.EMPTY_BUFFER, callback);
            return true;
        }
        if (guest.isReleased()) {
            Responses.error(response, callback, 404, ErrorCode.NO_SUCH_END_POINT,
                    "this guest's meta-data service has been released");
            return true;
        }
        String path = request.getHttpURI().getPath();
        if (Protocol.EXECUTE_PATH.equals(path)) {
            guest.markStarted();
        }
        Request routed = request;
        if (Protocol.REPLY_PATH.equals(path) && HttpMethod.POST.is(request.getMethod())
                && limits.minReplyBytesPerSecond() > 0) {
            routed = new MinimumDataRateRequest(request, guest.id(), limits.minReplyBytesPerSecond(),
                    limits.replyRateGracePeriod().toNanos());
        }
        return guest.service().handle(routed, response, callback);
    }

    private record SubnetEntry(Subnet subnet, Guest guest) {
    }
}
