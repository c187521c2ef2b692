package io.armature.kit.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The one Host rule of the network interfaces. */
class HostRuleTest {

    private static final List<String> LOOPBACK = List.of("127.0.0.1");

    @Test
    void theServersAddressAndPortAndOverLoopbackTheLoopbackNamesAreTaken() {
        HostRule none = HostRule.allowing(List.of());
        for (String ok : new String[] {"127.0.0.1:8080", "localhost:8080", "LocalHost:8080", "[::1]:8080"}) {
            assertTrue(none.accepts(ok, LOOPBACK, 8080, true, false), ok);
        }
        for (String bad : new String[] {"evil.example:8080", "127.0.0.1", "127.0.0.1:80", "localhost", "127.0.0.2:8080", "[::1]",
                "127.0.0.1:8080@evil", "127.0.0.1:8080/x", "[::1:8080", "127.0.0.1:x"}) {
            assertFalse(none.accepts(bad, LOOPBACK, 8080, true, false), bad);
        }
        assertFalse(none.accepts("localhost:8080", List.of("192.168.7.2"), 8080, false, false), "not loopback: no loopback names");
        assertTrue(none.accepts("192.168.7.2", List.of("192.168.7.2"), 80, false, false), "no port: 80");
        assertTrue(none.accepts("192.168.7.2", List.of("192.168.7.2"), 443, false, false), "no port: 443");
    }

    @Test
    void allowedHostsAreTakenWithTheServersPortOrTheirOwn() {
        HostRule rule = HostRule.allowing(List.of("Rover.local", "proxy.example:80"));
        assertTrue(rule.accepts("rover.local:9090", List.of("192.168.7.2"), 9090, false, false));
        assertFalse(rule.accepts("rover.local:9091", List.of("192.168.7.2"), 9090, false, false));
        assertTrue(rule.accepts("proxy.example", List.of("192.168.7.2"), 9090, false, false), "a reverse proxy's port");
        assertFalse(rule.accepts("proxy.example:9090", List.of("192.168.7.2"), 9090, false, false));
        assertEquals("'a/b' is not a host name or host:port",
                assertThrows(IllegalArgumentException.class, () -> HostRule.allowing(List.of("a/b"))).getMessage());
    }

    @Test
    void onEveryInterfaceAnAddressOfThisMachineIsTakenButNoName() {
        HostRule none = HostRule.allowing(List.of());
        List<String> wildcard = List.of("0.0.0.0");
        assertTrue(none.accepts("127.0.0.1:9090", wildcard, 9090, false, true));
        assertFalse(none.accepts("evil.example:9090", wildcard, 9090, false, true));
        assertFalse(none.accepts("203.0.113.9:9090", wildcard, 9090, false, true));
        assertTrue(HostRule.isLoopback("[::1]") && HostRule.isLoopback("127.0.0.5") && !HostRule.isLoopback(null));
    }
}
