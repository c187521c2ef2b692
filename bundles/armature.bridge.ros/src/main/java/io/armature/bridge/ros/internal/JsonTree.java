package io.armature.bridge.ros.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;

/**
 * Reads one JSON text from a client into plain Java values: {@code Map<String, Object>} for an
 * object, {@code List<Object>} for an array, {@code Double} for every number, {@code String},
 * {@code Boolean}, and {@code null}. Bounded: at most {@link #MAX_CHARS} characters and
 * {@link #MAX_DEPTH} levels of nesting; a duplicated field is an error.
 */
final class JsonTree {

    /** The longest client text taken, in characters. */
    static final int MAX_CHARS = 65_536;

    /** The deepest nesting taken. */
    static final int MAX_DEPTH = 16;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();

    private JsonTree() {
    }

    /**
     * @return the value the text holds
     * @throws IllegalArgumentException with a one-line reason for text that is not one JSON value
     *                                  within the bounds
     */
    static Object parse(String text) {
        if (text.length() > MAX_CHARS) {
            throw new IllegalArgumentException("message longer than " + MAX_CHARS + " characters");
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new IllegalArgumentException("malformed JSON: empty message");
            }
            Object value = read(p, first);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("malformed JSON: more than one value in the message");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage());
        }
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, read(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
                    l.add(read(p, n));
                }
                return l;
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IllegalArgumentException("malformed JSON: unexpected " + t);
        }
    }

    /** @return the value as a short text for an error message: strings quoted, at most 40 characters */
    static String show(Object value) {
        String s = value instanceof String str ? "'" + str + "'" : value instanceof Double d && d == Math.rint(d) && !d.isInfinite()
                ? String.valueOf(d.longValue()) : String.valueOf(value);
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
