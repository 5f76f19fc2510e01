package io.metaservice.guest.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.security.auth.module.UnixSystem;
import java.util.List;
import org.junit.jupiter.api.Test;

class UserSwitchTest {

    @Test
    void lookUpFindsRoot() throws TaskStartException {
        UserSwitch.Account root = UserSwitch.lookUp("root");

        assertThat(root.name()).isEqualTo("root");
        assertThat(root.uid()).isZero();
        assertThat(root.gid()).isZero();
    }

    @Test
    void lookUpAcceptsNumericId() throws TaskStartException {
        assertThat(UserSwitch.lookUp("0").name()).isEqualTo("root");
    }

    @Test
    void missingUserFails() {
        assertThatThrownBy(() -> UserSwitch.lookUp("no-such-user-7f3a"))
                .isInstanceOf(TaskStartException.class)
                .hasMessage("user 'no-such-user-7f3a' does not exist");
    }

    @Test
    void optionLikeNameIsRejected() {
        assertThatThrownBy(() -> UserSwitch.lookUp("--help"))
                .isInstanceOf(TaskStartException.class)
                .hasMessageContaining("invalid user name");
    }

    @Test
    void ownUserNeedsNoSwitch() throws TaskStartException {
        long uid = new UnixSystem().getUid();

        assertThat(UserSwitch.commandPrefix(Long.toString(uid))).isEmpty();
    }

    @Test
    void rootSwitchesWithSetpriv() throws TaskStartException {
        assumeTrue(new UnixSystem().getUid() == 0, "switching users needs root");
        UserSwitch.Account nobody = UserSwitch.lookUp("nobody");

        List<String> prefix = UserSwitch.commandPrefix("nobody");

        assertThat(prefix.get(0)).endsWith("setpriv");
        assertThat(prefix.subList(1, prefix.size())).containsExactly(
                "--reuid=" + nobody.uid(), "--regid=" + nobody.gid(), "--init-groups", "--");
    }
}
