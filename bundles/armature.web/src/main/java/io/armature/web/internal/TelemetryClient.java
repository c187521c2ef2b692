package io.armature.web.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * One telemetry WebSocket client. Outgoing messages wait in a bounded queue and are written one
 * at a time; when the queue is full the client cannot keep up and is dropped (closed with 1008),
 * never buffered without end. Incoming messages are read and discarded: one larger than the limit
 * closes the socket with 1009, more than the allowed number a second with 1008.
 */
final class TelemetryClient implements FrameHandler {

    /** Close code for a message too large (RFC 6455). */
    static final int MESSAGE_TOO_LARGE = 1009;
    /** Close code for a client that broke the rules: too slow to read, or flooding. */
    static final int POLICY_VIOLATION = 1008;
    static final int GOING_AWAY = 1001;

    /** What the socket is told of a client's life. */
    interface Owner {
        void opened(TelemetryClient client);

        /** The queue was full: the client is being closed. Called once per client. */
        void tooSlow(TelemetryClient client);

        void closed(TelemetryClient client, int code, String reason);
    }

    private final Owner owner;
    private final ArrayBlockingQueue<byte[]> queue;
    private final int queueMessages;
    private final int maxIncomingBytes;
    private final int maxIncomingPerSecond;
    private final String remote;
    private final AtomicBoolean sending = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile CoreSession session;
    /** When it was found too slow, on the nanoTime clock; 0 while it keeps up. */
    private volatile long droppedAtNanos;
    private final AtomicInteger queuedBytes = new AtomicInteger();

    // incoming side: touched only by Jetty's reading thread for this connection
    private long incomingMessageBytes;
    private long windowStartNanos;
    private int windowMessages;

    /**
     * @param queueMessages        outgoing messages that may wait, at least 1
     * @param maxIncomingBytes     largest incoming message, in bytes
     * @param maxIncomingPerSecond incoming messages allowed in any one-second window
     */
    TelemetryClient(Owner owner, int queueMessages, int maxIncomingBytes, int maxIncomingPerSecond, String remote) {
        this.owner = owner;
        this.queue = new ArrayBlockingQueue<>(queueMessages);
        this.queueMessages = queueMessages;
        this.maxIncomingBytes = maxIncomingBytes;
        this.maxIncomingPerSecond = maxIncomingPerSecond;
        this.remote = remote;
    }

    String remote() {
        return remote;
    }

    /** @return bytes of the messages waiting in the queue (they are shared between clients) */
    int queuedBytes() {
        return queuedBytes.get();
    }

    int queuedMessages() {
        return queue.size();
    }

    /**
     * Queues a message. A client whose queue is full is dropped.
     *
     * @param message a whole text message, UTF-8; not modified afterwards (shared by all clients)
     */
    void offer(byte[] message) {
        if (session == null || droppedAtNanos != 0 || closed.get()) {
            return;
        }
        if (!queue.offer(message)) {
            drop();
            return;
        }
        queuedBytes.addAndGet(message.length);
        pump();
    }

    /** Aborts the connection of a client dropped more than {@code graceNanos} ago whose close could not be written. */
    void abortIfStuck(long nowNanos, long graceNanos) {
        long at = droppedAtNanos;
        CoreSession s = session;
        if (at != 0 && !closed.get() && s != null && nowNanos - at > graceNanos) {
            s.abort();
        }
    }

    void close(int code, String reason) {
        CoreSession s = session;
        if (s != null && closing.compareAndSet(false, true)) {
            s.close(code, reason, Callback.NOOP); // once: frames that still arrive are not judged again
        }
    }

    /** Set once this side has sent its close: what the client still sends is read and dropped until its close comes. */
    private final AtomicBoolean closing = new AtomicBoolean();

    private void drop() {
        droppedAtNanos = Math.max(1, System.nanoTime());
        queue.clear();
        queuedBytes.set(0);
        owner.tooSlow(this);
        // The close frame waits behind what the client has not read; abortIfStuck ends it if it never goes.
        close(POLICY_VIOLATION, "too slow: the outgoing queue of " + queueMessages + " messages was full");
    }

    /** Writes the next queued message unless one is being written; continues from the write's completion. */
    private void pump() {
        while (sending.compareAndSet(false, true)) {
            byte[] next = queue.poll();
            if (next == null) {
                sending.set(false);
                if (queue.isEmpty()) {
                    return;
                }
                continue; // a message arrived between poll and set
            }
            queuedBytes.addAndGet(-next.length);
            session.sendFrame(new Frame(OpCode.TEXT, true, ByteBuffer.wrap(next)), new Callback() {
                @Override
                public void succeeded() {
                    sending.set(false);
                    pump();
                }

                @Override
                public void failed(Throwable x) {
                    sending.set(false); // the session closes itself; onClosed follows
                }
            }, false);
            return;
        }
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        session = coreSession;
        windowStartNanos = System.nanoTime();
        owner.opened(this);
        callback.succeeded();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        byte op = frame.getOpCode();
        if (closing.get() && op != OpCode.CLOSE) {
            callback.succeeded();
            return;
        }
        if ((op == OpCode.PING || op == OpCode.PONG) && !withinRate(callback)) {
            return; // control frames count too: a PING flood costs a PONG each
        }
        if (op == OpCode.PING) {
            ByteBuffer payload = ByteBuffer.allocate(frame.getPayloadLength());
            if (frame.hasPayload()) {
                payload.put(frame.getPayload().slice()).flip();
            }
            session.sendFrame(new Frame(OpCode.PONG, true, payload), Callback.NOOP, false);
        } else if (op == OpCode.TEXT || op == OpCode.BINARY || op == OpCode.CONTINUATION) {
            incomingMessageBytes += frame.getPayloadLength();
            if (incomingMessageBytes > maxIncomingBytes) {
                callback.succeeded();
                close(MESSAGE_TOO_LARGE, "message over " + maxIncomingBytes + " bytes");
                return;
            }
            if (frame.isFin()) {
                incomingMessageBytes = 0;
                if (!withinRate(callback)) {
                    return;
                }
            }
        }
        callback.succeeded();
    }

    /** Counts one incoming message (data, PING or PONG); over the rate, closes with 1008 and completes the frame's callback. */
    private boolean withinRate(Callback callback) {
        long now = System.nanoTime();
        if (now - windowStartNanos > 1_000_000_000L) {
            windowStartNanos = now;
            windowMessages = 0;
        }
        if (++windowMessages > maxIncomingPerSecond) {
            callback.succeeded();
            close(POLICY_VIOLATION, "more than " + maxIncomingPerSecond + " messages a second");
            return false;
        }
        return true;
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
        if (closed.compareAndSet(false, true)) {
            queue.clear();
            queuedBytes.set(0);
            owner.closed(this, closeStatus.getCode(), closeStatus.getReason());
        }
        callback.succeeded();
    }
}
