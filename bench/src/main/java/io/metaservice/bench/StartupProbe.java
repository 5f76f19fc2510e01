package io.metaservice.bench;

import io.metaservice.host.GuestServer;
import io.metaservice.host.LogSink;
import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The start-up figure's host: starts one {@link MetaService} on 127.0.0.1, prints
 * {@code port N}, and exits when stdin ends.
 */
public final class StartupProbe {

    private StartupProbe() {
    }

    public static void main(String[] args) throws Exception {
        MetaServiceConfig config = MetaServiceConfig.builder()
                .command(List.of("true"))
                .logSink(LogSink.discarding())
                .temporaryDirectory(Path.of(System.getProperty("java.io.tmpdir")))
                .build();
        try (MetaService service = new MetaService(config);
                GuestServer server = GuestServer.start(service, "127.0.0.1", 0)) {
            System.out.println("port " + server.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // Runs until the parent closes stdin.
            }
        }
    }
}
