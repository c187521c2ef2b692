package io.armature.kit.service;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which {@code Host} header values name this server, the one defence of a network interface
 * (REST API, ROS bridge) against DNS rebinding: a page of another site whose name now resolves to
 * the robot sends its own name in {@code Host}, and its Origin then matches that Host.
 *
 * <p>Taken: an address (or configured name) of the server with the server's port; with a
 * loopback address, {@code localhost}, {@code 127.0.0.1} and {@code ::1} too; listening on every
 * interface, an IP address of this machine written as an address (a literal cannot be rebound);
 * an entry of the allowed hosts, {@code name} with the server's port or {@code name:port} with
 * that port (a reverse proxy's). A Host without a port means port 80 or 443. Each interface keeps
 * its own refusal: what happens to a request without a Host, and the status and message.
 */
public final class HostRule {

    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+(%[0-9A-Za-z._-]+)?");
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "::1");
    private static final int NO_PORT = -1;

    private final Set<String> names;
    private final Set<String> namesWithPort;

    private HostRule(Set<String> names, Set<String> namesWithPort) {
        this.names = Set.copyOf(names);
        this.namesWithPort = Set.copyOf(namesWithPort);
    }

    /**
     * @param allowedHosts further Host values taken, {@code name} or {@code name:port}; IPv6
     *                     addresses bare or in brackets
     * @throws IllegalArgumentException naming the first entry that is not a host or host:port
     */
    public static HostRule allowing(Collection<String> allowedHosts) {
        Set<String> names = new HashSet<>();
        Set<String> withPort = new HashSet<>();
        for (String entry : allowedHosts) {
            HostPort hp = HostPort.parse(entry.trim().toLowerCase(Locale.ROOT));
            if (hp == null) {
                throw new IllegalArgumentException("'" + entry + "' is not a host name or host:port");
            }
            if (hp.port() == NO_PORT) {
                names.add(hp.host());
            } else {
                withPort.add(hp.host() + ":" + hp.port());
            }
        }
        return new HostRule(names, withPort);
    }

    /** @return true when {@code entry} is a host name or address, with or without a port */
    public static boolean isHost(String entry) {
        return HostPort.parse(entry.trim().toLowerCase(Locale.ROOT)) != null;
    }

    /**
     * @param host           the Host header (not null)
     * @param serverNames    the server's own names for itself: the address the connection came in
     *                       on, or the configured host and the address it resolves to
     * @param port           the port the server listens on
     * @param loopback       the server's address is a loopback address
     * @param everyInterface the server listens on every interface (a wildcard address)
     * @return true when the Host names this server
     */
    public boolean accepts(String host, Collection<String> serverNames, int port, boolean loopback, boolean everyInterface) {
        HostPort hp = HostPort.parse(host.trim().toLowerCase(Locale.ROOT));
        if (hp == null) {
            return false;
        }
        if (hp.port() == NO_PORT ? namesWithPort.contains(hp.host() + ":80") || namesWithPort.contains(hp.host() + ":443")
                : namesWithPort.contains(hp.host() + ":" + hp.port())) {
            return true;
        }
        boolean portMatches = hp.port() == port || (hp.port() == NO_PORT && (port == 80 || port == 443));
        if (!portMatches) {
            return false;
        }
        for (String own : serverNames) {
            if (own != null && hp.host().equals(stripBrackets(own.toLowerCase(Locale.ROOT)))) {
                return true;
            }
        }
        return (loopback && LOOPBACK_NAMES.contains(hp.host())) || names.contains(hp.host())
                || (everyInterface && isAddressOfThisMachine(hp.host()));
    }

    private static boolean isAddressOfThisMachine(String host) {
        if (!IPV4.matcher(host).matches() && !(host.contains(":") && IPV6.matcher(host).matches())) {
            return false; // a name: it could be rebound
        }
        try {
            InetAddress a = InetAddress.getByName(host); // a literal: no name lookup
            return a.isLoopbackAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (UnknownHostException | SocketException e) {
            return false;
        }
    }

    /** @return true when {@code address} (a literal, in any case, with or without brackets) is a loopback address */
    public static boolean isLoopback(String address) {
        String a = address == null ? "" : stripBrackets(address.toLowerCase(Locale.ROOT));
        return a.startsWith("127.") || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
    }

    private static String stripBrackets(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /** A Host value's parts: the host in lower case without IPv6 brackets, and the port or {@link #NO_PORT}. */
    private record HostPort(String host, int port) {

        static HostPort parse(String s) {
            String host;
            String portText = null;
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                if (close < 0) {
                    return null;
                }
                host = s.substring(1, close);
                String rest = s.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        return null;
                    }
                    portText = rest.substring(1);
                }
            } else {
                int colon = s.indexOf(':');
                if (colon >= 0 && s.indexOf(':', colon + 1) >= 0) {
                    host = s; // a bare IPv6 address
                } else if (colon >= 0) {
                    host = s.substring(0, colon);
                    portText = s.substring(colon + 1);
                } else {
                    host = s;
                }
            }
            if (host.isEmpty() || !host.chars().allMatch(c -> c > ' ' && c < 127 && c != '/' && c != '@')) {
                return null;
            }
            int p = NO_PORT;
            if (portText != null) {
                if (!portText.matches("[0-9]{1,5}")) {
                    return null;
                }
                p = Integer.parseInt(portText);
            }
            return new HostPort(host, p);
        }
    }
}
