package io.armature.bridge.ros.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

import org.osgi.service.log.Logger;

/**
 * The robot's credential for commanding through the ROS bridges: a per-robot token. It comes from
 * the bridge's configuration ({@code token}) when set; otherwise from the file
 * {@value #FILE_NAME} in the runtime's data directory ({@code armature.data.dir}, as the Web
 * Console's password); at the first start a random one is generated, stored there (readable by
 * this user only) and printed once. A token that cannot be had (an unreadable or malformed file)
 * leaves the bridge without one: every command is refused, reading goes on.
 */
final class RosToken {

    static final String FILE_NAME = "ros-token";
    /** The shortest token taken, in characters. */
    static final int MIN_LENGTH = 16;

    private final byte[] digest;
    private final String where;

    private RosToken(String token, String where) {
        this.digest = token == null ? null : sha256(token);
        this.where = where;
    }

    /** @return no token: nothing matches */
    static RosToken none(String why) {
        return new RosToken(null, why);
    }

    /** @return a token given as it is (the configuration's) */
    static RosToken of(String token) {
        return new RosToken(check(token, "token"), "the bridge's configuration (token)");
    }

    /**
     * @param configured the configuration's token, or blank for the data directory's
     * @param dataDir    the runtime's data directory
     * @param out        where a generated token is printed, once
     */
    static RosToken resolve(String configured, Path dataDir, Logger log, PrintStream out) {
        if (configured != null && !configured.isBlank()) {
            return of(configured.trim());
        }
        Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
        if (Files.exists(file)) {
            try {
                String stored = Files.readString(file, StandardCharsets.UTF_8).trim();
                return new RosToken(check(stored, "the token in " + file), file.toString());
            } catch (IOException | IllegalArgumentException e) {
                String why = "cannot use the ROS bridge token file " + file + ": " + e.getMessage()
                        + "; commands through the ROS bridges are refused. Delete the file to generate a new token, or set token in "
                        + RosBridge.PID + ".cfg";
                log.error(why);
                return none(why);
            }
        }
        String token = generate(new SecureRandom());
        try {
            write(file, token);
        } catch (IOException e) {
            String why = "cannot store the ROS bridge token in " + file + ": " + e
                    + "; commands through the ROS bridges are refused. Make the directory writable, or set token in " + RosBridge.PID + ".cfg";
            log.error(why);
            return none(why);
        }
        out.println("ROS bridge token " + token + " (needed to command through rosbridge and Foxglove; generated now, kept in " + file
                + ", readable only by this user)");
        return new RosToken(token, file.toString());
    }

    /** @return true when the bridge has a token at all */
    boolean present() {
        return digest != null;
    }

    /** @return where the token comes from, or why there is none */
    String where() {
        return where;
    }

    /**
     * Compares in constant time (digests of equal length): the time taken does not tell how much
     * of the token was right, nor its length.
     *
     * @return true when {@code presented} is the robot's token
     */
    boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        byte[] other = sha256(presented.trim());
        return digest != null & MessageDigest.isEqual(digest == null ? new byte[other.length] : digest, other);
    }

    /** @return a new random token: 128 bits, URL-safe Base64 without padding (22 characters) */
    static String generate(SecureRandom random) {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String check(String token, String what) {
        if (token.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(what + " must be at least " + MIN_LENGTH + " characters, was " + token.length());
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c >= 127 || c == '&' || c == '#' || c == '%' || c == '+') {
                throw new IllegalArgumentException(what + " must be printable ASCII without spaces, '&', '#', '%' or '+' (it travels in a URL)");
            }
        }
        return token;
    }

    private static void write(Path file, String token) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(tmp); // Windows: the directory's ACL applies
        }
        Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
