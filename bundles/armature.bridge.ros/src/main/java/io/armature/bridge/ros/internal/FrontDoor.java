package io.armature.bridge.ros.internal;

import java.net.InetAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

import io.armature.kit.service.HostRule;

/**
 * The checks a WebSocket handshake passes before the upgrade, in this order:
 * <ol>
 * <li>{@code Origin}: a browser page of another site is refused (403) unless its origin is in
 * {@code allowedOrigins}; a client that sends no Origin (roslib under node, Python, ROS tools)
 * passes;</li>
 * <li>{@code Host}: must name the address the server is bound to and its port, or, bound to
 * loopback, {@code localhost}, {@code 127.0.0.1} or {@code [::1]} with that port (or an entry of
 * {@code allowedHosts}); bound to every interface, an IP address of this machine (the rule is
 * {@link HostRule}'s). Anything else is refused (403): that is DNS rebinding, a page of another
 * site reaching the robot through a name of its own;</li>
 * <li>the {@code token} query parameter: a wrong one is refused (401); without one, a client over
 * loopback may read, and one from another host must authenticate before anything (rosbridge
 * {@code auth}) or is refused (401) where the protocol has no way to (Foxglove);</li>
 * <li>the number of clients (503 at {@code maxClients}).</li>
 * </ol>
 */
final class FrontDoor {

    /** What a handshake gets: refused with an HTTP status and one line, or admitted with an access. */
    interface Verdict {
    }

    /**
     * @param status the HTTP status of the refusal: 401, 403 or 503
     * @param reason one line, for the client and the log
     */
    record Refused(int status, String reason) implements Verdict {
    }

    record Admitted(ClientAccess access) implements Verdict {
    }

    private final String label;
    private final String source;
    private final boolean authOperation;
    private final String boundHost;
    private final int port;
    private final boolean loopbackBound;
    private final boolean wildcardBound;
    private final Set<String> origins;
    private final List<String> serverNames;
    private final HostRule hosts;
    private final Supplier<RosToken> token;

    /**
     * @param label          the server, for messages: {@code rosbridge}
     * @param source         the motion-command source of its clients
     * @param authOperation  the protocol can authenticate after the handshake (rosbridge's
     *                       {@code auth}): a client from another host without a token is let in to do so
     * @param boundHost      the configured host
     * @param boundAddress   the address it resolves to
     * @param port           the port the server listens on
     * @param allowedOrigins origins whose pages may connect, such as {@code https://app.foxglove.dev}
     * @param allowedHosts   further Host header values taken, {@code name} or {@code name:port}
     * @param token          the robot's token as it is now
     */
    FrontDoor(String label, String source, boolean authOperation, String boundHost, InetAddress boundAddress, int port,
            List<String> allowedOrigins, List<String> allowedHosts, Supplier<RosToken> token) {
        this.label = label;
        this.source = source;
        this.authOperation = authOperation;
        this.boundHost = stripBrackets(boundHost.toLowerCase(Locale.ROOT));
        this.port = port;
        this.loopbackBound = boundAddress.isLoopbackAddress();
        this.wildcardBound = boundAddress.isAnyLocalAddress();
        this.origins = new HashSet<>();
        for (String o : allowedOrigins) {
            origins.add(normalOrigin(o));
        }
        this.serverNames = List.of(this.boundHost, boundAddress.getHostAddress());
        try {
            this.hosts = HostRule.allowing(allowedHosts);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("allowedHosts: " + e.getMessage());
        }
        this.token = token;
    }

    /**
     * @param origin   the Origin header, or null
     * @param host     the Host header, or null
     * @param resource the request target: path and query, {@code /?token=...}
     * @param remote   the client's address
     * @param clients  clients admitted on every server of the bridge now
     * @param maxClients the most clients taken
     */
    Verdict check(String origin, String host, String resource, InetAddress remote, int clients, int maxClients) {
        if (origin != null && !origins.contains(normalOrigin(origin))) {
            return new Refused(403, "cross-origin handshake refused: Origin " + oneLine(origin) + " is not in allowedOrigins"
                    + (origins.isEmpty() ? " (empty)" : ""));
        }
        if (host == null || host.isBlank()) {
            return new Refused(403, "handshake refused: no Host header");
        }
        if (!hostAllowed(host.trim().toLowerCase(Locale.ROOT))) {
            return new Refused(403, "handshake refused: Host " + oneLine(host) + " is not this server (" + boundHost + ":" + port
                    + "); a name other than the robot's is DNS rebinding, add it to allowedHosts if it is yours");
        }
        boolean loopback = remote != null && remote.isLoopbackAddress();
        String presented = queryParameter(resource, "token");
        if (presented != null) {
            RosToken t = token.get();
            if (!t.matches(presented)) {
                return new Refused(401, "handshake refused: wrong token" + (t.present() ? "" : " (" + t.where() + ")"));
            }
        } else if (!loopback && !authOperation) {
            return new Refused(401, "handshake refused: a client from another host needs the robot's token: ws://host:port/?token=...");
        }
        if (clients >= maxClients) {
            return new Refused(503, "handshake refused: " + maxClients + " clients are connected already (maxClients)");
        }
        return new Admitted(new ClientAccess(source, loopback, presented != null));
    }

    String label() {
        return label;
    }

    private boolean hostAllowed(String host) {
        return hosts.accepts(host, serverNames, port, loopbackBound, wildcardBound);
    }

    /** @return true when {@code h} is a host name or address, with or without a port */
    static boolean isHost(String h) {
        return HostRule.isHost(h);
    }

    /** @return the origin as compared: lower case, without a trailing slash */
    static String normalOrigin(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }

    /** @return the first value of a query parameter of a request target, URL-decoded; null when absent */
    static String queryParameter(String resource, String name) {
        if (resource == null) {
            return null;
        }
        int q = resource.indexOf('?');
        if (q < 0) {
            return null;
        }
        String query = resource.substring(q + 1);
        int hash = query.indexOf('#');
        if (hash >= 0) {
            query = query.substring(0, hash);
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                try {
                    return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException badEscape) {
                    return "";
                }
            }
        }
        return null;
    }

    /** @return the values of a list setting: each entry may hold several, comma-separated; blanks dropped */
    static List<String> list(String[] entries) {
        List<String> out = new ArrayList<>();
        if (entries != null) {
            for (String e : entries) {
                for (String part : e.split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.trim());
                    }
                }
            }
        }
        return out;
    }

    private static String stripBrackets(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    static String oneLine(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return "'" + (clean.length() <= 80 ? clean : clean.substring(0, 80) + "...") + "'";
    }
}
