package io.armature.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

/**
 * The body of a POST: one flat JSON object of numbers and strings, at most {@link #MAX_BYTES}.
 * Every problem is an {@link ApiException} with status 400 or 413 and a message that names the
 * field; nothing is read twice and no value is converted silently (a string is never a number).
 */
final class JsonBody {

    /** The largest body accepted, in bytes. */
    static final int MAX_BYTES = 4096;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    private final Map<String, Object> fields;

    private JsonBody(Map<String, Object> fields) {
        this.fields = fields;
    }

    /**
     * Reads and parses a body; an empty body is an empty object.
     *
     * @param contentLength the declared length in bytes, or -1 when unknown (chunked)
     * @param allowed       the field names this request takes; any other is refused
     */
    static JsonBody read(InputStream in, long contentLength, Set<String> allowed) throws ApiException, IOException {
        if (contentLength > MAX_BYTES) {
            throw tooLarge();
        }
        byte[] bytes = in.readNBytes(MAX_BYTES + 1);
        if (bytes.length > MAX_BYTES) {
            throw tooLarge();
        }
        return parse(bytes, allowed);
    }

    static JsonBody parse(byte[] bytes, Set<String> allowed) throws ApiException {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (isBlank(bytes)) {
            return new JsonBody(fields);
        }
        try (JsonParser p = FACTORY.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ApiException(400, "the body must be a JSON object, for example {\"setpoint\": 10.0}");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                if (!allowed.contains(name)) {
                    throw new ApiException(400, "unknown field '" + abbreviate(name) + "'; this request takes " + String.join(", ", allowed));
                }
                JsonToken value = p.nextToken();
                fields.put(name, switch (value) {
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
                    case VALUE_STRING -> p.getText();
                    case VALUE_TRUE, VALUE_FALSE -> value == JsonToken.VALUE_TRUE;
                    case VALUE_NULL -> throw new ApiException(400, name + " must not be null");
                    default -> throw new ApiException(400, name + " must be a number or a string, not an object or array");
                });
            }
            if (p.nextToken() != null) {
                throw new ApiException(400, "malformed JSON: more than one value in the body");
            }
        } catch (StreamConstraintsException e) {
            throw new ApiException(400, "malformed JSON: " + e.getOriginalMessage());
        } catch (JsonParseException e) {
            throw new ApiException(400, "malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ApiException(400, "malformed JSON: " + firstLine(e.getMessage()));
        }
        return new JsonBody(fields);
    }

    /**
     * @return the number in the field, as sent (NaN and infinity cannot be written in JSON; a
     *         number too large for a double reads as infinite, which the loops refuse)
     * @throws ApiException when the field is absent or not a number
     */
    double number(String name) throws ApiException {
        Object v = fields.get(name);
        if (v == null) {
            throw new ApiException(400, name + " is required, a number");
        }
        if (!(v instanceof Double d)) {
            throw new ApiException(400, name + " must be a number, was " + describe(v));
        }
        return d;
    }

    /** @return the number in the field, or {@code otherwise} when it is absent */
    double number(String name, double otherwise) throws ApiException {
        return fields.containsKey(name) ? number(name) : otherwise;
    }

    /**
     * @param maxLength the longest string accepted, in characters
     * @return the string in the field, one line, or {@code otherwise} when it is absent
     */
    String string(String name, String otherwise, int maxLength) throws ApiException {
        Object v = fields.get(name);
        if (v == null) {
            if (otherwise == null) {
                throw new ApiException(400, name + " is required, a string");
            }
            return otherwise;
        }
        if (!(v instanceof String s)) {
            throw new ApiException(400, name + " must be a string, was " + describe(v));
        }
        if (s.isBlank() || s.length() > maxLength || s.chars().anyMatch(Character::isISOControl)) {
            throw new ApiException(400, name + " must be one line of 1 to " + maxLength + " characters");
        }
        return s.trim();
    }

    /** @return true when the body had the field */
    boolean has(String name) {
        return fields.containsKey(name);
    }

    private static String describe(Object v) {
        return v instanceof String s ? "the string \"" + abbreviate(s) + "\"" : v.toString();
    }

    private static String abbreviate(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "...";
    }

    private static String firstLine(String message) {
        return message == null ? "unreadable" : message.lines().findFirst().orElse("unreadable");
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    private static ApiException tooLarge() {
        return new ApiException(413, "the body is larger than " + MAX_BYTES + " bytes");
    }
}
