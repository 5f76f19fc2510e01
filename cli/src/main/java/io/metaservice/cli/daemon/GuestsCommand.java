package io.metaservice.cli.daemon;

import io.metaservice.host.daemon.Attachment;
import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import io.metaservice.host.daemon.control.ControlBodies;
import io.metaservice.protocol.Json;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metaservice guests}: a table of the daemon's guests. */
@Command(
        name = "guests",
        mixinStandardHelpOptions = true,
        description = "Lists the guests of a running daemon: id, state, result, route, where a VM"
                + " attaches, log size and command. Environment values are never shown.",
        footer = {"", "Exit codes: 0 success, 1 when the daemon cannot be reached, 2 usage error."})
public final class GuestsCommand extends ClientCommand {

    private static final List<String> HEADINGS =
            List.of("ID", "STATE", "RESULT", "ROUTE", "ATTACH", "LOG", "COMMAND");

    @Option(names = "--json", description = "Print the guests as the control API returns them, as JSON.")
    private boolean json;

    @Override
    int run(ControlClient client) throws ControlException, Exception {
        List<ControlBodies.GuestInfo> guests = client.guests();
        PrintStream out = System.out;
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(new ControlBodies.GuestList(guests)));
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADINGS);
        for (ControlBodies.GuestInfo guest : guests) {
            rows.add(List.of(guest.id(), guest.state().wireName(), guest.result() == null ? "-" : guest.result(),
                    routeName(guest), attachPoint(guest.attachment()), Long.toString(guest.logBytes()),
                    String.join(" ", guest.command())));
        }
        out.print(formatTable(rows));
        out.flush();
        return 0;
    }

    private static String routeName(ControlBodies.GuestInfo guest) {
        Attachment attachment = guest.attachment();
        if (attachment.subnet() != null) {
            return "subnet";
        }
        return attachment.socket() != null ? "unix-socket" : "loopback-port";
    }

    private static String attachPoint(Attachment attachment) {
        if (attachment.subnet() != null) {
            return attachment.subnet();
        }
        if (attachment.socket() != null) {
            return attachment.socket();
        }
        return attachment.host() + ":" + attachment.port();
    }

    /** Formats rows as columns separated by two spaces; the last column is not padded. */
    static String formatTable(List<List<String>> rows) {
        int columns = rows.get(0).size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder table = new StringBuilder();
        for (List<String> row : rows) {
            for (int i = 0; i < columns; i++) {
                String cell = row.get(i);
                table.append(cell);
                if (i < columns - 1) {
                    table.append(" ".repeat(widths[i] - cell.length() + 2));
                }
            }
            table.append(System.lineSeparator());
        }
        return table.toString();
    }
}
