package io.metaservice.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Parsing of {@code run --listen} and {@code guest --host}; nothing here opens a connection. */
class AddressTest {

    @Test
    void listenLoopbackAddresses() {
        assertThat(ListenAddress.parse("127.0.0.1:8080")).isEqualTo(new ListenAddress("127.0.0.1", 8080, null));
        assertThat(ListenAddress.parse("127.1.2.3:0")).isEqualTo(new ListenAddress("127.1.2.3", 0, null));
        assertThat(ListenAddress.parse("localhost:80")).isEqualTo(new ListenAddress("127.0.0.1", 80, null));
        assertThat(ListenAddress.parse("[::1]:9000").host()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(ListenAddress.parse("[::1]:9000").toString()).isEqualTo("[0:0:0:0:0:0:0:1]:9000");
    }

    @Test
    void listenUnixSocket() {
        ListenAddress address = ListenAddress.parse("unix:/run/vm1.sock");

        assertThat(address.isUnix()).isTrue();
        assertThat(address.socket()).isEqualTo(Path.of("/run/vm1.sock"));
        assertThat(address.toString()).isEqualTo("unix:/run/vm1.sock");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0:80", "192.0.2.1:80", "169.254.169.254:80", "[::]:80", "[2001:db8::1]:80"})
    void listenNonLoopbackRejected(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> ListenAddress.parse(text))
                .withMessageContaining("not a loopback address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com:80", "127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:http", "unix:", "::1:80"})
    void listenInvalidRejected(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> ListenAddress.parse(text));
    }

    @Test
    void guestHostDefaultsPortEighty() {
        assertThat(GuestAddress.parse(GuestAddress.DEFAULT)).isEqualTo(new GuestAddress("169.254.169.254", 80));
        assertThat(GuestAddress.parse("10.0.2.2")).isEqualTo(new GuestAddress("10.0.2.2", 80));
        assertThat(GuestAddress.parse("[::1]")).isEqualTo(new GuestAddress("[::1]", 80));
    }

    @Test
    void guestHostWithPort() {
        assertThat(GuestAddress.parse("127.0.0.1:8080").baseUri().toString()).isEqualTo("http://127.0.0.1:8080/");
        assertThat(GuestAddress.parse("[::1]:8080").baseUri().toString()).isEqualTo("http://[::1]:8080/");
        assertThat(GuestAddress.parse("metadata.local:81").port()).isEqualTo(81);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "host:", "host:0", "host:99999", "a/b:80", "user@host", "[::1", "host:80:80"})
    void guestHostInvalidRejected(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> GuestAddress.parse(text));
    }
}
