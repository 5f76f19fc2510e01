package io.metaservice.host.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.metaservice.protocol.Files;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a list-folder reply with the type rules of the original service's decoder: {@code files}
 * is null or an array of strings, {@code notFound} and the extension {@code truncated} are null or
 * booleans, unknown fields of any size are skipped without being converted, and a repeated key
 * takes its last value. Anything else is an {@link InvalidFilesException}.
 */
final class FilesDecoder {

    /** Numbers in unknown fields are skipped, never converted, so their length needs no limit. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .build())
            .build();

    private FilesDecoder() {
    }

    /** The body is valid JSON of the wrong shape, or not valid JSON. */
    static final class InvalidFilesException extends IOException {
        InvalidFilesException(String message) {
            super(message);
        }
    }

    static Files decode(byte[] body) throws IOException {
        try (JsonParser parser = FACTORY.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new InvalidFilesException("expected a JSON object, got " + describe(first));
            }
            List<String> files = null;
            boolean notFound = false;
            boolean truncated = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "files" -> files = readFiles(parser, value);
                    case "notFound" -> notFound = readBoolean("notFound", value);
                    case "truncated" -> truncated = readBoolean("truncated", value);
                    default -> parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw new InvalidFilesException("unexpected data after the JSON object");
            }
            return new Files(files, notFound, truncated);
        }
    }

    private static List<String> readFiles(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.START_ARRAY) {
            throw new InvalidFilesException("\"files\" must be an array of strings, got " + describe(value));
        }
        List<String> files = new ArrayList<>();
        JsonToken element;
        while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (element != JsonToken.VALUE_STRING) {
                throw new InvalidFilesException("\"files\" entry " + files.size()
                        + " must be a string, got " + describe(element));
            }
            files.add(parser.getText());
        }
        return files;
    }

    private static boolean readBoolean(String name, JsonToken value) throws InvalidFilesException {
        return switch (value) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE, VALUE_NULL -> false;
            default -> throw new InvalidFilesException("\"" + name + "\" must be a boolean, got " + describe(value));
        };
    }

    private static String describe(JsonToken token) {
        if (token == null) {
            return "nothing";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.name();
        };
    }
}
