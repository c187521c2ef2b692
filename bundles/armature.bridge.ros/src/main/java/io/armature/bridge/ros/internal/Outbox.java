package io.armature.bridge.ros.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What goes out to one client, bounded: a client that does not read fast enough to keep its
 * queue under {@code maxQueued} frames and {@code maxQueuedBytes} bytes is disconnected (and told
 * why), never buffered without end.
 */
final class Outbox {

    /** The socket underneath: sends queue and never block. */
    interface Socket {
        void send(String text);

        void send(ByteBuffer binary);

        /** @return frames queued and not yet written to the network */
        int queued();

        /** @return bytes queued and not yet written to the network */
        default long queuedBytes() {
            return 0;
        }

        /** Disconnects the client for reading too slowly. */
        default void drop(int code, String reason) {
            close(code, reason);
        }

        /** Disconnects the client for something it did. */
        void close(int code, String reason);

        /** @return the client's address, for messages */
        String remote();
    }

    /** WebSocket close code 1008: policy violation. */
    static final int CLOSE_TOO_SLOW = 1008;
    /** WebSocket close code 1008, for a client that broke a rule (a wrong token). */
    static final int CLOSE_POLICY = 1008;

    private final Socket socket;
    private final int maxQueued;
    private final long maxQueuedBytes;
    private final AtomicLong sent = new AtomicLong();
    /** the socket's sends, made once: sending allocates nothing of its own */
    private final Consumer<String> sendText;
    private final Consumer<ByteBuffer> sendBinary;
    private volatile boolean dropped;
    private volatile boolean closed;

    /**
     * @param maxQueued the most frames waiting for the client, 1..1_000_000
     */
    Outbox(Socket socket, int maxQueued) {
        this(socket, maxQueued, Long.MAX_VALUE);
    }

    /**
     * @param maxQueued      the most frames waiting for the client, 1..1_000_000
     * @param maxQueuedBytes the most bytes waiting for the client
     */
    Outbox(Socket socket, int maxQueued, long maxQueuedBytes) {
        this.socket = socket;
        this.sendText = socket::send;
        this.sendBinary = socket::send;
        this.maxQueued = maxQueued;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    /** @return false when the client was dropped (now or before) and the text not sent */
    boolean send(String text) {
        return room(text.length()) && counted(sendText, text);
    }

    /** @return false when the client was dropped (now or before) and the data not sent */
    boolean send(ByteBuffer binary) {
        return room(binary.remaining()) && counted(sendBinary, binary);
    }

    private <T> boolean counted(Consumer<T> send, T frame) {
        send.accept(frame);
        sent.incrementAndGet();
        return true;
    }

    /** @param size about the bytes of what is to be sent (a text's characters) */
    private boolean room(long size) {
        if (dropped || closed) {
            return false;
        }
        if (socket.queued() >= maxQueued) {
            dropped = true;
            socket.drop(CLOSE_TOO_SLOW, "too slow: " + maxQueued + " messages waiting; reconnect and subscribe to less");
            return false;
        }
        if (maxQueuedBytes != Long.MAX_VALUE && socket.queuedBytes() + size > maxQueuedBytes) {
            dropped = true;
            socket.drop(CLOSE_TOO_SLOW, "too slow: more than " + maxQueuedBytes + " bytes waiting (maxQueuedBytes); reconnect and subscribe to less");
            return false;
        }
        return true;
    }

    /** Closes the connection for something the client did (policy violation, 1008), once what is queued is out. */
    void close(String reason) {
        if (!dropped && !closed) {
            closed = true;
            socket.close(CLOSE_POLICY, reason);
        }
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
