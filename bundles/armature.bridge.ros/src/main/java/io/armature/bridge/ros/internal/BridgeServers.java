package io.armature.bridge.ros.internal;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import org.java_websocket.drafts.Draft;
import org.java_websocket.protocols.IProtocol;
import org.java_websocket.protocols.Protocol;

/**
 * The transport of one configuration: the rosbridge v2 and Foxglove WebSocket servers on their
 * ports, each behind its {@link FrontDoor}, sharing the client slots; a session per client on
 * the topic graph. Every client's leaving is told, so that what it commanded can end.
 */
final class BridgeServers {

    /**
     * The largest frame a client may send, in bytes: the longest JSON text taken, in UTF-8, and a
     * Foxglove frame header. A larger one closes the connection (1009, too big) before it is kept.
     */
    static final int MAX_FRAME_BYTES = 4 * JsonTree.MAX_CHARS + 64;

    private final BridgeSetup setup;
    private final String serverName;
    private final Consumer<ClientAccess> clientLeft;
    private final WsServer.Slots slots;
    private final List<WsServer> servers = new ArrayList<>();
    private final List<FoxgloveSession> foxgloveSessions = new CopyOnWriteArrayList<>();

    /**
     * @param serverName the name Foxglove clients are told, {@code Armature <robot>}
     * @param clientLeft told of each client that left
     */
    BridgeServers(BridgeSetup setup, String serverName, Consumer<ClientAccess> clientLeft) {
        this.setup = setup;
        this.serverName = serverName;
        this.clientLeft = clientLeft;
        this.slots = new WsServer.Slots(setup.settings().maxClients());
    }

    /**
     * Creates the configured servers and starts them listening.
     *
     * @throws IllegalStateException when the host does not resolve
     */
    void start() {
        Settings settings = setup.settings();
        TopicGraph graph = setup.graph();
        RosToken token = setup.token();
        graph.onChange(g -> foxgloveSessions.forEach(FoxgloveSession::topicsChanged));
        if (settings.rosbridgePort() != 0) {
            add("rosbridge", ClientAccess.ROSBRIDGE_SOURCE, true, settings.rosbridgePort(), new Protocol(""), (out, access) -> {
                return new RosbridgeSession(graph, out, access, token::matches, settings.maxTopicsPerClient());
            });
        }
        if (settings.foxglovePort() != 0) {
            add("Foxglove", ClientAccess.FOXGLOVE_SOURCE, false, settings.foxglovePort(), new Protocol(FoxgloveSession.SUBPROTOCOL), (out, access) -> {
                FoxgloveSession f = new FoxgloveSession(graph, out, serverName, access, settings.maxTopicsPerClient());
                foxgloveSessions.add(f);
                f.opened();
                return f;
            });
        }
        for (WsServer s : servers) {
            s.startListening();
        }
    }

    /**
     * @param authOperation the protocol can authenticate after the handshake
     * @param protocol      the WebSocket subprotocol the server speaks
     */
    private void add(String label, String source, boolean authOperation, int port, IProtocol protocol,
            BiFunction<Outbox, ClientAccess, WsServer.Session> sessions) {
        Settings settings = setup.settings();
        InetSocketAddress at = address(settings.host(), port);
        List<Draft> drafts = List.of(new ServerDraft(List.of(), List.of(protocol), MAX_FRAME_BYTES));
        FrontDoor door = new FrontDoor(label, source, authOperation, settings.host(), at.getAddress(), at.getPort(), settings.allowedOrigins(),
                settings.allowedHosts(), setup::token);
        servers.add(new WsServer(at, drafts, door, slots, sessions, this::left, settings.maxQueuedMessages(), settings.maxQueuedBytes(), setup.log()));
    }

    /** A client went, its session closed: what it commanded can end. */
    private void left(WsServer.Session session, ClientAccess access) {
        foxgloveSessions.remove(session); // none for a rosbridge client
        clientLeft.accept(access);
    }

    private static InetSocketAddress address(String host, int port) {
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new IllegalStateException("host '" + host + "' is not an address of this machine nor a name that resolves");
        }
        return a;
    }

    /** @return where each server listens, {@code rosbridge on ws://127.0.0.1:9090} */
    List<String> where() {
        List<String> where = new ArrayList<>();
        for (WsServer s : servers) {
            where.add(s.label() + " on ws://" + s.where());
        }
        return where;
    }

    /** Closes every client and stops listening. */
    void stop() {
        for (WsServer s : servers) {
            try {
                s.stop(1_000, "the robot's ROS bridge is stopping");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return clients dropped for reading too slowly */
    long droppedClients() {
        long n = 0;
        for (WsServer s : servers) {
            n += s.droppedClients();
        }
        return n;
    }

    /** @return handshakes refused */
    long refusedHandshakes() {
        long n = 0;
        for (WsServer s : servers) {
            n += s.refusedHandshakes();
        }
        return n;
    }
}
