package io.metaservice.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlugidTest {

    @Test
    void generatedIdsHaveSlugidShape() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = Slugid.v4();
            assertThat(id).hasSize(22);
            assertThat(id).matches("[A-Za-f][A-Za-z0-9_-]{21}");
            assertThat(Slugid.isValid(id)).as(id).isTrue();
            assertThat(seen.add(id)).as("duplicate %s", id).isTrue();
        }
    }

    @Test
    void generatedIdsAreVersion4Uuids() {
        for (int i = 0; i < 1000; i++) {
            byte[] bytes = Slugid.decode(Slugid.v4());
            assertThat(bytes).hasSize(16);
            assertThat(bytes[0] & 0x80).isZero();
            assertThat(bytes[6] & 0xf0).isEqualTo(0x40);
            assertThat(bytes[8] & 0xc0).isEqualTo(0x80);
        }
    }

    @Test
    void isValidRejectsOtherShapes() {
        assertThat(Slugid.isValid(null)).isFalse();
        assertThat(Slugid.isValid("")).isFalse();
        assertThat(Slugid.isValid("-" + Slugid.v4().substring(1))).isFalse();
        assertThat(Slugid.isValid(Slugid.v4() + "A")).isFalse();
        assertThat(Slugid.isValid("abc/def")).isFalse();
    }
}
