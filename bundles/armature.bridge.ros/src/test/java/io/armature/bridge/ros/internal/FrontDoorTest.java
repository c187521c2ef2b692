package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The checks of a handshake, before the upgrade: Origin, Host, token, clients. */
class FrontDoorTest {

    private static final String TOKEN = "the-robots-token-0123";
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static FrontDoor door(String host, String address, boolean authOperation, List<String> origins, List<String> hosts)
            throws Exception {
        return new FrontDoor("rosbridge", ClientAccess.ROSBRIDGE_SOURCE, authOperation, host, InetAddress.getByName(address), 9090, origins,
                hosts, () -> RosToken.of(TOKEN));
    }

    private static FrontDoor loopbackDoor() throws Exception {
        return door("127.0.0.1", "127.0.0.1", true, List.of("https://app.foxglove.dev"), List.of());
    }

    private static FrontDoor.Verdict check(FrontDoor d, String origin, String host, String resource, InetAddress remote) {
        return d.check(origin, host, resource, remote, 0, 16);
    }

    private static String refused(FrontDoor.Verdict v) {
        FrontDoor.Refused r = assertInstanceOf(FrontDoor.Refused.class, v);
        return r.status() + " " + r.reason();
    }

    private static ClientAccess admitted(FrontDoor.Verdict v) {
        return assertInstanceOf(FrontDoor.Admitted.class, v, String.valueOf(v)).access();
    }

    @Test
    void anOriginIsTakenOnlyWhenAllowedAndNoOriginPasses() throws Exception {
        FrontDoor d = loopbackDoor();
        assertEquals("403 cross-origin handshake refused: Origin 'https://evil.example' is not in allowedOrigins",
                refused(check(d, "https://evil.example", "127.0.0.1:9090", "/", LOOPBACK)));
        assertEquals("403 cross-origin handshake refused: Origin 'null' is not in allowedOrigins",
                refused(check(d, "null", "127.0.0.1:9090", "/", LOOPBACK)), "a sandboxed page or a file");
        assertEquals("403 cross-origin handshake refused: Origin 'http://127.0.0.1:9090' is not in allowedOrigins",
                refused(check(d, "http://127.0.0.1:9090", "127.0.0.1:9090", "/", LOOPBACK)), "nothing of the robot's own is a web page here");
        admitted(check(d, "https://app.foxglove.dev", "127.0.0.1:9090", "/", LOOPBACK));
        admitted(check(d, "HTTPS://App.Foxglove.dev/", "127.0.0.1:9090", "/", LOOPBACK));
        admitted(check(d, null, "127.0.0.1:9090", "/", LOOPBACK));
        FrontDoor none = door("127.0.0.1", "127.0.0.1", true, List.of(), List.of());
        assertEquals("403 cross-origin handshake refused: Origin 'https://app.foxglove.dev' is not in allowedOrigins (empty)",
                refused(check(none, "https://app.foxglove.dev", "127.0.0.1:9090", "/", LOOPBACK)), "none by default");
        assertEquals("403 cross-origin handshake refused: Origin 'https://evil.example/?a?b' is not in allowedOrigins (empty)",
                refused(check(none, "https://evil.example/?a\nb", "127.0.0.1:9090", "/", LOOPBACK)), "one line whatever was sent");
    }

    @Test
    void theHostMustBeTheBoundAddressAndPortOrALoopbackName() throws Exception {
        FrontDoor d = loopbackDoor();
        for (String ok : new String[] {"127.0.0.1:9090", "localhost:9090", "LocalHost:9090", "[::1]:9090"}) {
            admitted(check(d, null, ok, "/", LOOPBACK));
        }
        for (String bad : new String[] {"evil.example:9090", "127.0.0.1", "127.0.0.1:80", "localhost", "127.0.0.2:9090", "[::1]",
                "127.0.0.1:9090@evil", "127.0.0.1:9090/x", "[::1:9090"}) {
            String why = refused(check(d, null, bad, "/", LOOPBACK));
            assertTrue(why.startsWith("403 handshake refused: Host '" + bad + "' is not this server (127.0.0.1:9090)"), bad + ": " + why);
        }
        assertEquals("403 handshake refused: no Host header", refused(check(d, null, null, "/", LOOPBACK)));

        FrontDoor lan = door("192.168.7.2", "192.168.7.2", true, List.of(), List.of("rover.local"));
        admitted(check(lan, null, "192.168.7.2:9090", "/?token=" + TOKEN, InetAddress.getByName("192.168.7.9")));
        admitted(check(lan, null, "rover.local:9090", "/?token=" + TOKEN, InetAddress.getByName("192.168.7.9")));
        assertTrue(refused(check(lan, null, "localhost:9090", "/", LOOPBACK)).startsWith("403 "), "not bound to loopback: no loopback names");
        assertTrue(refused(check(lan, null, "rover.example:9090", "/", LOOPBACK)).startsWith("403 "));

        FrontDoor any = door("0.0.0.0", "0.0.0.0", true, List.of(), List.of());
        admitted(check(any, null, "127.0.0.1:9090", "/", LOOPBACK));
        assertTrue(refused(check(any, null, "evil.example:9090", "/", LOOPBACK)).startsWith("403 "), "bound to every interface, a name "
                + "still is not taken");
        assertTrue(refused(check(any, null, "203.0.113.9:9090", "/", LOOPBACK)).startsWith("403 "), "an address not of this machine");
    }

    @Test
    void aTokenInTheUrlLetsAClientCommandAWrongOneIsRefusedAndNoneReadsOnlyOverLoopback() throws Exception {
        FrontDoor d = loopbackDoor();
        ClientAccess withToken = admitted(check(d, null, "127.0.0.1:9090", "/?x=1&token=" + TOKEN, LOOPBACK));
        assertTrue(withToken.mayCommand());
        assertEquals(ClientAccess.ROSBRIDGE_SOURCE, withToken.source());
        assertTrue(admitted(check(d, null, "127.0.0.1:9090", "/?token=the-robots-token%2D0123", LOOPBACK)).mayCommand(), "URL-decoded");
        assertEquals("401 handshake refused: wrong token", refused(check(d, null, "127.0.0.1:9090", "/?token=guess", LOOPBACK)));
        assertEquals("401 handshake refused: wrong token", refused(check(d, null, "127.0.0.1:9090", "/?token=", LOOPBACK)));
        assertEquals("401 handshake refused: wrong token", refused(check(d, null, "127.0.0.1:9090", "/?token=%zz", LOOPBACK)));
        ClientAccess reader = admitted(check(d, null, "127.0.0.1:9090", "/", LOOPBACK));
        assertFalse(reader.mayCommand());
        assertTrue(reader.mayRead());

        FrontDoor lan = door("0.0.0.0", "0.0.0.0", true, List.of(), List.of());
        ClientAccess remote = admitted(check(lan, null, "127.0.0.1:9090", "/", InetAddress.getByName("192.168.7.9")));
        assertFalse(remote.mayRead(), "rosbridge: it may authenticate, nothing else");
        FrontDoor foxglove = new FrontDoor("Foxglove", ClientAccess.FOXGLOVE_SOURCE, false, "0.0.0.0", InetAddress.getByName("0.0.0.0"), 8765,
                List.of(), List.of(), () -> RosToken.of(TOKEN));
        assertEquals("401 handshake refused: a client from another host needs the robot's token: ws://host:port/?token=...",
                refused(foxglove.check(null, "127.0.0.1:8765", "/", InetAddress.getByName("192.168.7.9"), 0, 16)));
        assertEquals(ClientAccess.FOXGLOVE_SOURCE, assertInstanceOf(FrontDoor.Admitted.class,
                foxglove.check(null, "127.0.0.1:8765", "/?token=" + TOKEN, InetAddress.getByName("192.168.7.9"), 0, 16)).access().source());

        FrontDoor noToken = new FrontDoor("rosbridge", ClientAccess.ROSBRIDGE_SOURCE, true, "127.0.0.1", LOOPBACK, 9090, List.of(), List.of(),
                () -> RosToken.none("cannot read armature-data/ros-token"));
        assertEquals("401 handshake refused: wrong token (cannot read armature-data/ros-token)",
                refused(noToken.check(null, "127.0.0.1:9090", "/?token=" + TOKEN, LOOPBACK, 0, 16)));
    }

    @Test
    void beyondMaxClientsAHandshakeIsRefusedWith503() throws Exception {
        FrontDoor d = loopbackDoor();
        assertEquals("503 handshake refused: 16 clients are connected already (maxClients)",
                refused(d.check(null, "127.0.0.1:9090", "/", LOOPBACK, 16, 16)));
        admitted(d.check(null, "127.0.0.1:9090", "/", LOOPBACK, 15, 16));
        assertEquals("403 cross-origin handshake refused: Origin 'https://evil.example' is not in allowedOrigins",
                refused(d.check("https://evil.example", "127.0.0.1:9090", "/", LOOPBACK, 16, 16)), "the front door's reasons first");
    }

    @Test
    void queryParametersAreReadAsAUrlHasThem() {
        assertEquals("abc", FrontDoor.queryParameter("/?token=abc", "token"));
        assertEquals("a b", FrontDoor.queryParameter("/ws?x=1&token=a+b#frag", "token"));
        assertEquals(null, FrontDoor.queryParameter("/?tokens=abc", "token"));
        assertEquals(null, FrontDoor.queryParameter("/token=abc", "token"));
        assertEquals(List.of("https://a.example", "https://b.example", "https://c.example"),
                FrontDoor.list(new String[] {"https://a.example, https://b.example", " https://c.example ", ""}));
    }
}
