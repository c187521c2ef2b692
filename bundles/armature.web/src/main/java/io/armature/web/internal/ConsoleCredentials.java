package io.armature.web.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Objects;
import java.util.function.UnaryOperator;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import io.armature.kit.service.DataDirectory;

/**
 * Sets the Felix Web Console's credentials so that it never accepts admin/admin. The password
 * comes from the environment variable {@value #ENV}; without it, from the hash stored in the
 * runtime's data directory; on first start a random password is generated, printed once and
 * only its hash is stored. The user is always {@code admin}.
 *
 * <p>Until this component has run, the console is locked by the framework property
 * {@code felix.webconsole.password}, which every feature sets to a hash no password matches.
 * The REST API checks its callers against the same credentials, through {@link #accepts}.
 */
@Component(immediate = true, service = ConsoleCredentials.class)
public final class ConsoleCredentials {

    static final String ENV = "ARMATURE_CONSOLE_PASSWORD";
    static final String CONSOLE_PID = "org.apache.felix.webconsole.internal.servlet.OsgiManager";
    static final String FILE_NAME = "console-password.sha256";
    static final String USER = "admin";

    private final ConfigurationAdmin configAdmin;
    private final Logger log;
    private final PrintStream out;
    private final UnaryOperator<String> environment;
    /** null while locked: no password is accepted */
    private final String hash;

    @Activate
    public ConsoleCredentials(@Reference ConfigurationAdmin configAdmin,
            @Reference(service = LoggerFactory.class) Logger log, BundleContext context) throws IOException {
        this(configAdmin, log, System.out, System::getenv, DataDirectory.of(context));
    }

    ConsoleCredentials(ConfigurationAdmin configAdmin, Logger log, PrintStream out, UnaryOperator<String> environment,
            Path dataDir) throws IOException {
        this.configAdmin = configAdmin;
        this.log = log;
        this.out = out;
        this.environment = environment;
        this.hash = resolveHash(dataDir);
        if (hash != null) {
            apply(hash);
        }
    }

    /**
     * Checks credentials in constant time: the time taken does not depend on how much of the
     * user or the password was right.
     *
     * @return true when {@code user} is {@value #USER} and {@code password} is the console password
     */
    public boolean accepts(String user, String password) {
        if (user == null || password == null) {
            return false;
        }
        String expected = hash == null ? ConsolePassword.PREFIX : hash; // a locked console still takes the time
        boolean userMatches = MessageDigest.isEqual(USER.getBytes(StandardCharsets.UTF_8), user.getBytes(StandardCharsets.UTF_8));
        boolean passwordMatches = MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                ConsolePassword.hash(password).getBytes(StandardCharsets.UTF_8));
        return hash != null & userMatches & passwordMatches;
    }

    /** @return the hash to use, or null when none can be had (the console then stays locked) */
    String resolveHash(Path dataDir) {
        String fromEnv = environment.apply(ENV);
        if (fromEnv != null) {
            if (!fromEnv.isBlank()) {
                log.info("Web Console user '{}' uses the password from {}", USER, ENV);
                return ConsolePassword.hash(fromEnv);
            }
            log.warn("{} is set but empty; ignoring it", ENV);
        }
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            try {
                String stored = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (ConsolePassword.isHash(stored)) {
                    return stored;
                }
                log.error("console password file {} is not a SHA-256 password hash; the Web Console stays locked. "
                        + "Delete the file to generate a new password, or set {}", file.toAbsolutePath(), ENV);
            } catch (IOException e) {
                log.error("cannot read console password file {}: {}; the Web Console stays locked", file.toAbsolutePath(), e.toString());
            }
            return null;
        }
        String password = ConsolePassword.generate(new SecureRandom());
        String hash = ConsolePassword.hash(password);
        try {
            write(file, hash);
        } catch (IOException e) {
            log.error("cannot store the console password hash in {}: {}; the Web Console stays locked. Set {} or make the directory writable",
                    file.toAbsolutePath(), e.toString(), ENV);
            return null;
        }
        out.println("Web Console user '" + USER + "', password " + password
                + " (shown once; only its hash is stored, in " + file.toAbsolutePath() + ")");
        return hash;
    }

    private static void write(Path file, String hash) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        Files.writeString(tmp, hash + "\n", StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // Windows: the directory's ACL applies
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void apply(String hash) throws IOException {
        Configuration c = configAdmin.getConfiguration(CONSOLE_PID, "?");
        Dictionary<String, Object> props = c.getProperties();
        if (props != null && USER.equals(props.get("username")) && Objects.equals(hash, props.get("password"))) {
            return; // unchanged: do not make the console restart
        }
        Dictionary<String, Object> next = props == null ? new Hashtable<>() : props;
        next.put("username", USER);
        next.put("password", hash);
        c.update(next);
    }
}
