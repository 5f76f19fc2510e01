package io.metaservice.bench;

import io.metaservice.host.GuestServer;
import io.metaservice.host.LogSink;
import io.metaservice.host.MetaService;
import io.metaservice.host.MetaServiceConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * One {@link GuestServer} on 127.0.0.1 serving a default guest (requests from 127.0.0.1) and
 * {@code idleGuests} simulated guests routed by source address, each with its own
 * {@link MetaService} and a discarding log sink.
 */
final class BenchHost implements AutoCloseable {

    private final MetaService defaultService;
    private final SourceRouter router;
    private final GuestServer server;

    BenchHost(int guests, Path temporaryDirectory) throws Exception {
        this.defaultService = new MetaService("guest-default", config(temporaryDirectory));
        this.router = new SourceRouter(defaultService);
        for (int i = 0; i < guests; i++) {
            router.add(i, new MetaService("guest-" + i, config(temporaryDirectory)));
        }
        // Each simulated guest keeps one poll connection open, plus the timed guest's requests.
        this.server = GuestServer.start(router, "127.0.0.1", 0, guests + 64);
    }

    private static MetaServiceConfig config(Path temporaryDirectory) {
        return MetaServiceConfig.builder()
                .command(List.of("true"))
                .logSink(LogSink.discarding())
                .temporaryDirectory(temporaryDirectory)
                .build();
    }

    MetaService defaultService() {
        return defaultService;
    }

    int parkedPolls() {
        return router.parkedPolls();
    }

    int port() {
        return server.port();
    }

    URI baseUri() {
        return server.baseUri();
    }

    int poolThreads() {
        return server.poolThreads();
    }

    @Override
    public void close() throws Exception {
        router.closeAll();
        server.close();
    }
}
