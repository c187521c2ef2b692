package io.armature.bridge.ros.internal;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;
import org.osgi.service.log.Logger;

/**
 * A WebSocket server (Java-WebSocket) whose clients each get a session of one protocol. One worker
 * thread decodes every client, so each client's frames are handled in order. Every handshake
 * passes the {@link FrontDoor} first; a refused one gets its HTTP status and one line (and the log
 * one line) before any upgrade.
 */
final class WsServer extends WebSocketServer {

    /** What a protocol does with one client's frames. */
    interface Session {
        void onText(String text);

        void onBinary(ByteBuffer frame);

        void closed();
    }

    /** The clients of every server of one bridge, bounded. */
    static final class Slots {
        private final AtomicInteger taken = new AtomicInteger();
        private final int max;

        Slots(int max) {
            this.max = max;
        }

        /** @return true when a slot was free and is now taken */
        boolean tryTake() {
            while (true) {
                int n = taken.get();
                if (n >= max) {
                    return false;
                }
                if (taken.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        void give() {
            taken.decrementAndGet();
        }

        int taken() {
            return taken.get();
        }

        int max() {
            return max;
        }
    }

    /** A connection's attachment once admitted. */
    private record Client(ClientAccess access, Session session) {
    }

    private final String label;
    private final FrontDoor door;
    private final Slots slots;
    private final BiFunction<Outbox, ClientAccess, Session> sessions;
    private final BiConsumer<Session, ClientAccess> left;
    private final int maxQueued;
    private final long maxQueuedBytes;
    private final Logger log;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile Exception startFailure;
    private long lastRefusalLogNanos = Long.MIN_VALUE;
    private long refusalsNotLogged;

    /**
     * @param door           the checks of every handshake; its label names the server in messages
     * @param slots          the clients of the whole bridge
     * @param sessions       makes the session of a new client
     * @param left           told of a client that left, after its session closed
     * @param maxQueued      frames a client may have waiting before it is dropped
     * @param maxQueuedBytes bytes a client may have waiting before it is dropped
     */
    WsServer(InetSocketAddress address, List<Draft> drafts, FrontDoor door, Slots slots, BiFunction<Outbox, ClientAccess, Session> sessions,
            BiConsumer<Session, ClientAccess> left, int maxQueued, long maxQueuedBytes, Logger log) {
        super(address, 1, drafts);
        this.label = door.label();
        this.door = door;
        this.slots = slots;
        this.sessions = sessions;
        this.left = left;
        this.maxQueued = maxQueued;
        this.maxQueuedBytes = maxQueuedBytes;
        this.log = log;
        setReuseAddr(true);
        setDaemon(true);
    }

    /**
     * Starts listening.
     *
     * @throws IllegalStateException with the reason when the address cannot be bound within 5 s
     */
    void startListening() {
        start();
        try {
            if (!started.await(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException(label + " did not start listening on " + where() + " within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(label + " start interrupted");
        }
        if (startFailure != null) {
            throw new IllegalStateException(label + " cannot listen on " + where() + ": " + startFailure.getMessage());
        }
    }

    String label() {
        return label;
    }

    String where() {
        return getAddress().getHostString() + ":" + getPort();
    }

    /** @return clients dropped for reading too slowly since the start */
    long droppedClients() {
        return dropped.get();
    }

    /** @return handshakes refused since the start */
    long refusedHandshakes() {
        return refused.get();
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket conn, Draft draft, ClientHandshake request)
            throws InvalidDataException {
        ServerHandshakeBuilder response = super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
        InetSocketAddress remote = conn.getRemoteSocketAddress();
        FrontDoor.Verdict v = door.check(request.hasFieldValue("Origin") ? request.getFieldValue("Origin") : null,
                request.hasFieldValue("Host") ? request.getFieldValue("Host") : null, request.getResourceDescriptor(),
                remote == null ? null : remote.getAddress(), slots.taken(), slots.max());
        if (v instanceof FrontDoor.Refused r) {
            ServerDraft.refuse(response, r.status(), r.reason());
            conn.setAttachment(r);
            refused.incrementAndGet();
            logRefusal(remote, r);
        } else {
            conn.setAttachment(((FrontDoor.Admitted) v).access());
        }
        return response;
    }

    /** One line per refusal; a flood of them at most one line a second, with the count of those not logged. */
    private synchronized void logRefusal(InetSocketAddress remote, FrontDoor.Refused r) {
        long now = System.nanoTime();
        if (lastRefusalLogNanos != Long.MIN_VALUE && now - lastRefusalLogNanos < 1_000_000_000L) {
            refusalsNotLogged++;
            return;
        }
        lastRefusalLogNanos = now;
        String more = refusalsNotLogged == 0 ? "" : " (" + refusalsNotLogged + " more refused before this, not logged)";
        refusalsNotLogged = 0;
        log.warn("{} handshake from {} refused ({}): {}{}", label, address(remote), r.status(), r.reason(), more);
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        Object a = conn.getAttachment();
        if (a instanceof FrontDoor.Refused r) {
            // the refusal went out instead of the upgrade: close once it is written
            ((WebSocketImpl) conn).flushAndClose(CloseFrame.POLICY_VALIDATION, r.reason(), false);
            return;
        }
        ClientAccess access = (ClientAccess) a;
        String remote = address(conn.getRemoteSocketAddress());
        if (!slots.tryTake()) { // another server admitted the last client at the same moment
            conn.setAttachment(null);
            log.warn("{} client {} closed: {} clients are connected already (maxClients)", label, remote, slots.max());
            conn.close(CloseFrame.TRY_AGAIN_LATER, slots.max() + " clients are connected already (maxClients)");
            return;
        }
        Outbox out = new Outbox(new Outbox.Socket() {
            @Override
            public void send(String text) {
                conn.send(text);
            }

            @Override
            public void send(ByteBuffer binary) {
                conn.send(binary);
            }

            @Override
            public int queued() {
                return conn instanceof WebSocketImpl impl ? impl.outQueue.size() : 0;
            }

            @Override
            public long queuedBytes() {
                long n = 0;
                if (conn instanceof WebSocketImpl impl) {
                    for (ByteBuffer b : impl.outQueue) {
                        n += b.remaining();
                    }
                }
                return n;
            }

            @Override
            public void drop(int code, String reason) {
                dropped.incrementAndGet();
                log.warn("{} client {} dropped: {}", label, remote, reason);
                conn.close(code, reason);
            }

            @Override
            public void close(int code, String reason) {
                log.warn("{} client {} closed: {}", label, remote, reason);
                conn.close(code, reason);
            }

            @Override
            public String remote() {
                return remote;
            }
        }, maxQueued, maxQueuedBytes);
        conn.setAttachment(new Client(access, sessions.apply(out, access)));
        log.info("{} client {} connected{}", label, remote, access.authenticated() ? " with the robot's token"
                : access.loopback() ? " (no token: may read, not command)" : " (no token yet: must authenticate)");
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        Object a = conn.getAttachment();
        if (a instanceof Client c) {
            slots.give();
            c.session.closed();
            left.accept(c.session, c.access);
        }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        if (conn.getAttachment() instanceof Client c) {
            c.session.onText(message);
        }
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        if (conn.getAttachment() instanceof Client c) {
            c.session.onBinary(message);
        }
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        if (conn == null) {
            startFailure = ex; // the server itself: bind failed, or it died
            started.countDown();
            log.error("{} server on {} failed: {}", label, where(), ex.toString());
        } else {
            log.debug("{} client {}: {}", label, conn.getRemoteSocketAddress(), ex.toString());
        }
    }

    private static String address(InetSocketAddress a) {
        String s = String.valueOf(a);
        return s.startsWith("/") ? s.substring(1) : s;
    }
}
