package io.armature.bridge.ros.internal;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.osgi.service.log.Logger;

/**
 * A WebSocket server (Java-WebSocket) whose clients each get a session of one protocol. One worker
 * thread decodes every client, so each client's frames are handled in order.
 */
final class WsServer extends WebSocketServer {

    /** What a protocol does with one client's frames. */
    interface Session {
        void onText(String text);

        void onBinary(ByteBuffer frame);

        void closed();
    }

    private final String label;
    private final Function<Outbox, Session> sessions;
    private final int maxQueued;
    private final Logger log;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicLong dropped = new AtomicLong();
    private volatile Exception startFailure;

    /**
     * @param label     what it serves, for messages: {@code rosbridge}
     * @param sessions  makes the session of a new client
     * @param maxQueued frames a client may have waiting before it is dropped
     */
    WsServer(String label, InetSocketAddress address, List<Draft> drafts, Function<Outbox, Session> sessions, int maxQueued, Logger log) {
        super(address, 1, drafts);
        this.label = label;
        this.sessions = sessions;
        this.maxQueued = maxQueued;
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

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        String remote = String.valueOf(conn.getRemoteSocketAddress());
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
            public void close(int code, String reason) {
                dropped.incrementAndGet();
                log.warn("{} client {} dropped: {}", label, remote, reason);
                conn.close(code, reason);
            }

            @Override
            public String remote() {
                return remote.startsWith("/") ? remote.substring(1) : remote;
            }
        }, maxQueued);
        conn.setAttachment(sessions.apply(out));
        log.info("{} client {} connected", label, remote);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        Session s = conn.getAttachment();
        if (s != null) {
            s.closed();
        }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        Session s = conn.getAttachment();
        if (s != null) {
            s.onText(message);
        }
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        Session s = conn.getAttachment();
        if (s != null) {
            s.onBinary(message);
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
}
