package io.metaservice.protocol;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Slugids: 22-character URL-safe base64 encodings, without padding, of random (version 4)
 * UUIDs whose first bit is cleared, so that an id never starts with {@code -}.
 */
public final class Slugid {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Pattern NICE_V4 =
            Pattern.compile("[A-Za-f][A-Za-z0-9_-]{7}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]");

    private Slugid() {
    }

    /** Generates a new random slugid. */
    public static String v4() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        bytes[6] = (byte) ((bytes[6] & 0x0f) | 0x40); // version 4
        bytes[8] = (byte) ((bytes[8] & 0x3f) | 0x80); // IETF variant
        bytes[0] = (byte) (bytes[0] & 0x7f); // first bit cleared
        return ENCODER.encodeToString(bytes);
    }

    /** Returns whether {@code id} has the exact shape of an id that {@link #v4()} generates. */
    public static boolean isValid(String id) {
        return id != null && NICE_V4.matcher(id).matches();
    }

    /** Decodes a slugid into the 16 bytes of its UUID. */
    public static byte[] decode(String id) {
        return Base64.getUrlDecoder().decode(id);
    }
}
