package io.metaservice.cli;

import java.time.Duration;

/** Time limits of the command-line tests, in one place. */
final class TestLimits {

    /** Maximum time a command under test may take, JVM start-up and guest agent included. */
    static final Duration COMMAND = Duration.ofSeconds(90);
    /** Maximum wait for one expected line or byte sequence from a running command. */
    static final Duration OUTPUT = Duration.ofSeconds(60);
    /** Maximum wait for a process to exit after the command that owns it has exited. */
    static final Duration PROCESS_EXIT = Duration.ofSeconds(15);

    private TestLimits() {
    }
}
