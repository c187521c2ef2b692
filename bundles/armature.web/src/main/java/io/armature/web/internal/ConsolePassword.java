package io.armature.web.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Password hashes in the form the Felix Web Console accepts in its {@code password} property:
 * {@code {sha-256}} followed by the Base64 SHA-256 digest of the UTF-8 password.
 */
final class ConsolePassword {

    static final String PREFIX = "{sha-256}";
    private static final int DIGEST_BYTES = 32;

    private ConsolePassword() {
    }

    static String hash(String password) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
            return PREFIX + Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e); // every Java SE has it
        }
    }

    /** @return true when {@code text} is a well-formed hash as written by {@link #hash(String)} */
    static boolean isHash(String text) {
        if (text == null || !text.startsWith(PREFIX)) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(text.substring(PREFIX.length())).length == DIGEST_BYTES;
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
    }

    /** @return a new random password: 128 bits, URL-safe Base64 without padding (22 characters) */
    static String generate(SecureRandom random) {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
