package io.armature.bridge.ros.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What goes out to one client, bounded: a client that does not read fast enough to keep its
 * queue under {@code maxQueued} frames is disconnected (and told why), never buffered without end.
 */
final class Outbox {

    /** The socket underneath: sends queue and never block. */
    interface Socket {
        void send(String text);

        void send(ByteBuffer binary);

        /** @return frames queued and not yet written to the network */
        int queued();

        void close(int code, String reason);

        /** @return the client's address, for messages */
        String remote();
    }

    /** WebSocket close code 1008: policy violation. */
    static final int CLOSE_TOO_SLOW = 1008;

    private final Socket socket;
    private final int maxQueued;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean dropped;

    /**
     * @param maxQueued the most frames waiting for the client, 1..1_000_000
     */
    Outbox(Socket socket, int maxQueued) {
        this.socket = socket;
        this.maxQueued = maxQueued;
    }

    /** @return false when the client was dropped (now or before) and the text not sent */
    boolean send(String text) {
        if (!room()) {
            return false;
        }
        socket.send(text);
        sent.incrementAndGet();
        return true;
    }

    /** @return false when the client was dropped (now or before) and the data not sent */
    boolean send(ByteBuffer binary) {
        if (!room()) {
            return false;
        }
        socket.send(binary);
        sent.incrementAndGet();
        return true;
    }

    private boolean room() {
        if (dropped) {
            return false;
        }
        if (socket.queued() >= maxQueued) {
            dropped = true;
            socket.close(CLOSE_TOO_SLOW, "too slow: " + maxQueued + " messages waiting; reconnect and subscribe to less");
            return false;
        }
        return true;
    }

    /** @return true once the client was dropped for being too slow */
    boolean dropped() {
        return dropped;
    }

    /** @return frames handed to the socket */
    long sent() {
        return sent.get();
    }

    String remote() {
        return socket.remote();
    }
}
