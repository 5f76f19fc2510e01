package io.metaservice.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RunDeadlineTest {

    @Test
    void expiredDeadlineInterruptsRunner() {
        RunDeadline deadline = RunDeadline.start(Duration.ofMillis(50));

        assertThatThrownBy(() -> new CountDownLatch(1).await(20, TimeUnit.SECONDS))
                .isInstanceOf(InterruptedException.class);
        assertThat(deadline.expired()).isTrue();
        assertThat(deadline.finish()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void finishedDeadlineNeverInterrupts() throws InterruptedException {
        RunDeadline deadline = RunDeadline.start(Duration.ofMillis(100));

        assertThat(deadline.finish()).isFalse();
        CountDownLatch never = new CountDownLatch(1);
        assertThat(never.await(300, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(deadline.expired()).isFalse();
    }

    @Test
    void unlimitedDeadlineNeverExpires() {
        RunDeadline deadline = RunDeadline.start(null);

        assertThat(deadline.expired()).isFalse();
        assertThat(deadline.finish()).isFalse();
    }
}
