package io.metaservice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the harness on tiny sizes, so that a broken harness shows before a long benchmark run. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HarnessSmokeTest {

    @TempDir
    Path temporaryDirectory;

    @Test
    void logIngestReportsBothRates() throws Exception {
        Figure figure = LogIngestBench.run("log", 4, 1 << 20, temporaryDirectory);

        assertThat(figure.value()).isPositive();
        assertThat(figure.baseline()).isPositive();
        assertThat(figure.ratio()).isPositive();
    }

    @Test
    void artifactRoundTripReportsPercentiles() throws Exception {
        Figure[] figures = ArtifactBench.roundTrip(20, temporaryDirectory);

        assertThat(figures).hasSize(3);
        assertThat(figures[0].value()).isPositive();
        assertThat(figures[1].value()).isGreaterThanOrEqualTo(figures[0].value());
        assertThat(figures[2].value()).isGreaterThanOrEqualTo(figures[1].value());
    }

    @Test
    void idlePollersParkOnePollEach() throws Exception {
        int guests = 20;
        try (BenchHost host = new BenchHost(guests, temporaryDirectory);
                IdlePollers pollers = IdlePollers.start(guests, host.port())) {
            assertThat(pollers.awaitConnected(30, TimeUnit.SECONDS)).isTrue();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (host.parkedPolls() < guests && System.nanoTime() < deadline) {
                // Parking has no event to wait on; the deadline bounds this loop.
                Thread.sleep(20);
            }
            assertThat(host.parkedPolls()).isEqualTo(guests);
            assertThat(pollers.failures()).as(pollers.firstFailure()).isZero();
        }
    }

    @Test
    void guestAddressesAreDistinctLoopback() {
        assertThat(SourceRouter.guestAddress(0).getHostAddress()).isEqualTo("127.1.0.1");
        assertThat(SourceRouter.guestAddress(249).getHostAddress()).isEqualTo("127.1.0.250");
        assertThat(SourceRouter.guestAddress(250).getHostAddress()).isEqualTo("127.1.1.1");
        assertThat(SourceRouter.guestAddress(9_999).getHostAddress()).isEqualTo("127.1.39.250");
    }

    @Test
    void figureRatioIsBelowOneWhenSlower() {
        Figure rate = new Figure("rate", 50, 100, "MiB/s", true, "");
        Figure time = new Figure("time", 4, 2, "ms", false, "");

        assertThat(rate.ratio()).isEqualTo(0.5);
        assertThat(time.ratio()).isEqualTo(0.5);
    }
}
