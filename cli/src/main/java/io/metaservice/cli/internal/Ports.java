package io.metaservice.cli.internal;

/** Parses TCP port numbers in command-line addresses. */
final class Ports {

    private static final int MAX_PORT = 65_535;

    private Ports() {
    }

    /**
     * Parses a port from 0 to 65535.
     *
     * @throws IllegalArgumentException naming {@code address} when the port is invalid
     */
    static int parse(String port, String address) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("invalid port '" + port + "' in '" + address
                    + "': expected a number from 0 to " + MAX_PORT);
        }
        int value = Integer.parseInt(port);
        if (value > MAX_PORT) {
            throw new IllegalArgumentException("invalid port " + value + " in '" + address
                    + "': the maximum is " + MAX_PORT);
        }
        return value;
    }
}
