package io.metaservice.host;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * A host process for {@link LargeArtifactTest}: serves one guest on a loopback port, prints
 * {@code port N}, fetches one artifact and prints {@code sha256 HEX size N max-heap N}.
 * It runs in its own JVM so that its heap can be capped far below the artifact's size.
 */
public final class LargeArtifactHost {

    private LargeArtifactHost() {
    }

    public static void main(String[] args) throws Exception {
        Path temporaryDirectory = Path.of(args[0]);
        MetaService service = new MetaService(MetaServiceConfig.builder()
                .command(List.of("true"))
                .temporaryDirectory(temporaryDirectory)
                .replyStartTimeout(Duration.ofSeconds(30))
                .build());
        try (GuestServer server = GuestServer.start(service, "127.0.0.1", 0)) {
            System.out.println("port " + server.port());
            System.out.flush();
            try (Artifact artifact = service.getArtifact("/big")) {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                byte[] buffer = new byte[1 << 16];
                try (InputStream in = Files.newInputStream(artifact.path())) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        digest.update(buffer, 0, n);
                    }
                }
                System.out.println("sha256 " + HexFormat.of().formatHex(digest.digest())
                        + " size " + artifact.size() + " max-heap " + Runtime.getRuntime().maxMemory());
            }
            service.stopPollers();
        }
    }
}
