package io.armature.web.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.BiPredicate;

import io.armature.kit.service.HostRule;

/**
 * Who may call the REST API, and which state-changing requests are genuine: HTTP Basic with the
 * Web Console's credentials on every request; on every POST, the CSRF token in
 * {@value #CSRF_HEADER}, an Origin (when the client sends one) equal to the server's own, and a
 * JSON content type. A browser page from another site can neither read the token (no CORS
 * headers are sent) nor pass the Origin check, so it cannot drive the robot even when the
 * browser holds the credentials.
 */
final class ApiGuard {

    static final String CSRF_HEADER = "X-Armature-CSRF";
    static final String REALM = "Armature";

    private final BiPredicate<String, String> credentials;
    private final String csrfToken;

    /**
     * @param credentials checks a user and password, in constant time
     * @param random      the source of this process's CSRF token
     */
    ApiGuard(BiPredicate<String, String> credentials, SecureRandom random) {
        this.credentials = credentials;
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        this.csrfToken = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** @return the token every POST must carry in {@value #CSRF_HEADER}; the same until the API restarts */
    String csrfToken() {
        return csrfToken;
    }

    /** @throws ApiException 401 unless {@code authorization} is a Basic header with the console's credentials */
    void authenticate(String authorization) throws ApiException {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            throw new ApiException(401, "authentication required: HTTP Basic, user admin and the Web Console password");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            throw new ApiException(401, "the Authorization header is not valid Basic credentials");
        }
        int colon = decoded.indexOf(':');
        if (colon < 0 || !credentials.test(decoded.substring(0, colon), decoded.substring(colon + 1))) {
            throw new ApiException(401, "wrong user or password");
        }
    }

    /**
     * Refuses a request that a browser sent from a page of another site, on any method.
     *
     * @param origin the Origin header, or null when the client sent none (curl, scripts)
     * @param scheme the request's scheme, {@code http} or {@code https}
     * @param host   the Host header: host and port the client addressed
     * @throws ApiException 403 when the Origin is not this server
     */
    void checkOrigin(String origin, String scheme, String host) throws ApiException {
        if (origin != null && (host == null || !origin.equalsIgnoreCase(scheme + "://" + host))) {
            throw new ApiException(403, "cross-origin request refused: Origin " + oneLine(origin) + " is not this server");
        }
    }

    /**
     * Refuses a request whose {@code Host} names something other than the address the client
     * connected to (DNS rebinding; the rule is {@link HostRule}'s): taken are the local address
     * of the connection with its port, {@code localhost} with the port when that address is
     * loopback, and a name in the framework property {@value #ALLOWED_HOSTS_PROPERTY}. A request
     * without a Host (HTTP/1.0, no browser) passes.
     *
     * @param host         the Host header, or null
     * @param localAddress the address the connection came in on, for example {@code 127.0.0.1}
     * @param localPort    the port it came in on
     * @throws ApiException 403 for any other Host
     */
    void checkHost(String host, String localAddress, int localPort) throws ApiException {
        if (host == null) {
            return;
        }
        if (!allowedHosts.accepts(host, localAddress == null ? List.of() : List.of(localAddress), localPort, HostRule.isLoopback(localAddress), false)) {
            throw new ApiException(403, "request refused: Host " + oneLine(host) + " is not this server (" + (localAddress == null ? "?" : localAddress)
                    + ":" + localPort + "); a name other than the robot's address is DNS rebinding, add it to " + ALLOWED_HOSTS_PROPERTY
                    + " if it is yours");
        }
    }

    /** Framework property: further names (or name:port) the Host header may give, comma-separated, for example {@code robot.local}. */
    static final String ALLOWED_HOSTS_PROPERTY = "armature.web.allowedHosts";

    private HostRule allowedHosts = HostRule.allowing(List.of());

    /** @param hosts the value of {@value #ALLOWED_HOSTS_PROPERTY}, or null; an entry that is not a host (or host:port) is never taken */
    void allowHosts(String hosts) {
        List<String> entries = new ArrayList<>();
        for (String h : hosts == null ? new String[0] : hosts.split(",")) {
            if (!h.isBlank() && HostRule.isHost(h)) {
                entries.add(h);
            }
        }
        allowedHosts = HostRule.allowing(entries);
    }

    /**
     * Checks what makes a POST genuine, after {@link #authenticate} and {@link #checkOrigin}.
     *
     * @param token       the {@value #CSRF_HEADER} header, or null
     * @param contentType the Content-Type header, or null
     * @throws ApiException 403 for a missing or wrong token, 415 for a body that is not JSON
     */
    void checkPost(String token, String contentType) throws ApiException {
        checkCsrf(token);
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).split(";")[0].trim().equals("application/json")) {
            throw new ApiException(415, "Content-Type must be application/json");
        }
    }

    /**
     * Checks the CSRF header of a request that acts: a page of another site cannot set it.
     *
     * @throws ApiException 403 when it is missing or wrong
     */
    void checkCsrf(String token) throws ApiException {
        if (!tokenMatches(token)) {
            throw new ApiException(403, "missing or wrong " + CSRF_HEADER + " header; GET /armature/api/csrf gives the token");
        }
    }

    /** @return true when {@code token} is this process's CSRF token; compared in constant time */
    boolean tokenMatches(String token) {
        return token != null && MessageDigest.isEqual(csrfToken.getBytes(StandardCharsets.UTF_8), token.trim().getBytes(StandardCharsets.UTF_8));
    }

    private static String oneLine(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() <= 80 ? clean : clean.substring(0, 80) + "...";
    }
}
