package io.metaservice.host.daemon.control;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.metaservice.host.daemon.Attachment;
import io.metaservice.host.daemon.ControlErrorCode;
import io.metaservice.host.daemon.Guest;
import io.metaservice.host.daemon.GuestRoute;
import io.metaservice.host.daemon.GuestState;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** The JSON bodies of the control API, as records that servers and clients share. */
public final class ControlBodies {

    private ControlBodies() {
    }

    /** The body of every error response. */
    @JsonPropertyOrder({"code", "message"})
    public record ControlError(ControlErrorCode code, String message) {
    }

    /**
     * {@code GET /v1/daemon}: the listeners, the number of guests and the limits. Durations are
     * in milliseconds and sizes in bytes.
     */
    @JsonPropertyOrder({"control", "guestListener", "guests", "limits"})
    public record DaemonInfo(String control, String guestListener, int guests, Map<String, Long> limits) {
    }

    /**
     * One guest. {@code result} is {@value ControlApi#SUCCESS}, {@value ControlApi#FAILURE}, or
     * null until the guest reports; {@code envNames} lists the environment's names, never its
     * values; {@code created} is an ISO-8601 instant.
     */
    @JsonPropertyOrder({"id", "state", "result", "command", "envNames", "route", "attachment", "created",
        "logBytes", "logDroppedBytes", "connections", "rejectedConnections", "temporaryBytes", "shells"})
    public record GuestInfo(
            String id,
            GuestState state,
            String result,
            List<String> command,
            List<String> envNames,
            GuestRoute route,
            Attachment attachment,
            String created,
            long logBytes,
            long logDroppedBytes,
            int connections,
            long rejectedConnections,
            long temporaryBytes,
            int shells) {

        /** Describes a guest as it is now. */
        public static GuestInfo of(Guest guest) {
            return new GuestInfo(guest.id(), guest.state(), resultName(guest.result()),
                    guest.spec().command(), List.copyOf(new TreeSet<>(guest.spec().env().keySet())),
                    guest.spec().route(), guest.attachment(), guest.created().toString(),
                    guest.log().size(), guest.log().droppedBytes(), guest.connections(),
                    guest.rejectedConnections(), guest.service().temporaryBytes(), guest.shells().size());
        }
    }

    /** {@code GET /v1/guests}. */
    public record GuestList(List<GuestInfo> guests) {
    }

    /** {@code GET /v1/guests/{id}/result}: {@code result} is null while none was reported. */
    @JsonPropertyOrder({"id", "state", "result"})
    public record ResultInfo(String id, GuestState state, String result) {

        public static ResultInfo of(Guest guest) {
            return new ResultInfo(guest.id(), guest.state(), resultName(guest.result()));
        }
    }

    /** {@code GET /v1/guests/{id}/files}: the guest's listing, as the guest sent it. */
    @JsonPropertyOrder({"path", "files"})
    public record FolderListing(String path, List<String> files) {
    }

    private static String resultName(Boolean result) {
        if (result == null) {
            return null;
        }
        return result ? ControlApi.SUCCESS : ControlApi.FAILURE;
    }
}
