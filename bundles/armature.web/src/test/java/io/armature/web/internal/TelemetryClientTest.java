package io.armature.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.junit.jupiter.api.Test;

class TelemetryClientTest {

    /** A session whose writes complete only when the test says so, as a client that stopped reading. */
    private static final class Session {
        final List<Callback> pendingWrites = new ArrayList<>();
        final List<Frame> written = new ArrayList<>();
        final List<Integer> closeCodes = new ArrayList<>();
        int aborts;

        CoreSession proxy() {
            return (CoreSession) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {CoreSession.class}, (p, m, a) -> {
                switch (m.getName()) {
                    case "sendFrame" -> {
                        written.add((Frame) a[0]);
                        pendingWrites.add((Callback) a[1]);
                    }
                    case "close" -> {
                        if (a.length == 3) {
                            closeCodes.add((Integer) a[0]);
                        }
                    }
                    case "abort" -> aborts++;
                    default -> { }
                }
                return null;
            });
        }
    }

    private static final class Owner implements TelemetryClient.Owner {
        int opened;
        int tooSlow;
        final Map<Integer, String> closed = new HashMap<>();

        @Override
        public void opened(TelemetryClient client) {
            opened++;
        }

        @Override
        public void tooSlow(TelemetryClient client) {
            tooSlow++;
        }

        @Override
        public void closed(TelemetryClient client, int code, String reason) {
            closed.put(code, reason);
        }
    }

    private static TelemetryClient open(Owner owner, Session session, int queue) {
        TelemetryClient c = new TelemetryClient(owner, queue, 100, 5, "test");
        c.onOpen(session.proxy(), Callback.NOOP);
        return c;
    }

    private static Frame text(int bytes, boolean fin) {
        return new Frame(OpCode.TEXT, fin, ByteBuffer.wrap(new byte[bytes]));
    }

    @Test
    void messagesAreWrittenOneAtATimeInOrder() {
        Owner owner = new Owner();
        Session s = new Session();
        TelemetryClient c = open(owner, s, 4);
        c.offer(new byte[] {1});
        c.offer(new byte[] {2, 2});
        assertEquals(1, s.written.size(), "the second waits for the first write");
        assertEquals(2, c.queuedBytes());
        s.pendingWrites.get(0).succeeded();
        assertEquals(2, s.written.size());
        assertEquals(2, s.written.get(1).getPayloadLength());
        assertEquals(0, c.queuedBytes());
        assertEquals(1, owner.opened);
    }

    @Test
    void aClientThatStopsReadingIsDroppedOnceWithItsQueueBoundedThenAborted() {
        Owner owner = new Owner();
        Session s = new Session();
        TelemetryClient c = open(owner, s, 4);
        byte[] message = new byte[1000];
        c.offer(message); // in flight, never completes
        for (int i = 0; i < 4; i++) {
            c.offer(message);
        }
        assertEquals(4000, c.queuedBytes(), "the queue holds at most 4 messages");
        assertEquals(0, owner.tooSlow);
        c.offer(message); // the fifth finds the queue full
        assertEquals(1, owner.tooSlow);
        assertEquals(List.of(TelemetryClient.POLICY_VIOLATION), s.closeCodes);
        assertEquals(0, c.queuedBytes(), "its messages are let go");
        for (int i = 0; i < 100; i++) {
            c.offer(message);
        }
        assertEquals(1, owner.tooSlow, "counted and reported once");
        assertEquals(1, s.written.size(), "nothing more is written to it");
        c.abortIfStuck(System.nanoTime(), TelemetrySocket.ABORT_GRACE_NANOS);
        assertEquals(0, s.aborts, "its close frame gets its grace");
        c.abortIfStuck(System.nanoTime() + 2 * TelemetrySocket.ABORT_GRACE_NANOS, TelemetrySocket.ABORT_GRACE_NANOS);
        assertEquals(1, s.aborts, "then the connection is cut");
    }

    @Test
    void anIncomingMessageOverTheLimitClosesWith1009EvenInSmallFrames() {
        Owner owner = new Owner();
        Session s = new Session();
        TelemetryClient c = open(owner, s, 4);
        c.onFrame(text(60, false), Callback.NOOP);
        assertTrue(s.closeCodes.isEmpty());
        c.onFrame(new Frame(OpCode.CONTINUATION, false, ByteBuffer.wrap(new byte[60])), Callback.NOOP);
        assertEquals(List.of(TelemetryClient.MESSAGE_TOO_LARGE), s.closeCodes);
    }

    @Test
    void moreIncomingMessagesASecondThanAllowedCloseWith1008() {
        Owner owner = new Owner();
        Session s = new Session();
        TelemetryClient c = open(owner, s, 4);
        for (int i = 0; i < 5; i++) {
            c.onFrame(text(10, true), Callback.NOOP);
        }
        assertTrue(s.closeCodes.isEmpty(), "5 a second are allowed");
        c.onFrame(text(10, true), Callback.NOOP);
        assertEquals(List.of(TelemetryClient.POLICY_VIOLATION), s.closeCodes);
    }

    @Test
    void pingsCountInTheRateLimitSoAPingFloodIsClosedWith1008() {
        Session s = new Session();
        TelemetryClient c = open(new Owner(), s, 4);
        for (int i = 0; i < 5; i++) {
            c.onFrame(new Frame(OpCode.PING, true, ByteBuffer.wrap(new byte[] {1})), Callback.NOOP);
        }
        assertTrue(s.closeCodes.isEmpty(), "5 a second are allowed");
        c.onFrame(new Frame(OpCode.PING, true, ByteBuffer.wrap(new byte[] {1})), Callback.NOOP);
        assertEquals(List.of(TelemetryClient.POLICY_VIOLATION), s.closeCodes);
        assertEquals(5, s.written.stream().filter(f -> f.getOpCode() == OpCode.PONG).count(), "no PONG for the PING over the limit");
    }

    @Test
    void aPingIsAnsweredWithItsPayload() {
        Session s = new Session();
        TelemetryClient c = open(new Owner(), s, 4);
        c.onFrame(new Frame(OpCode.PING, true, ByteBuffer.wrap(new byte[] {7, 8})), Callback.NOOP);
        assertEquals(OpCode.PONG, s.written.get(0).getOpCode());
        assertEquals(ByteBuffer.wrap(new byte[] {7, 8}), s.written.get(0).getPayload());
    }

    @Test
    void closingTellsTheOwnerOnce() {
        Owner owner = new Owner();
        Session s = new Session();
        TelemetryClient c = open(owner, s, 4);
        c.onClosed(new CloseStatus(1000, "bye"), Callback.NOOP);
        c.onClosed(new CloseStatus(1000, "bye"), Callback.NOOP);
        assertEquals(Map.of(1000, "bye"), owner.closed);
    }

    @Test
    void badTelemetryConfigurationIsRefusedWithTheRangeInTheMessage() {
        TelemetrySocket.Config defaults = config(Map.of());
        assertEquals(50.0, TelemetrySocket.Settings.of(defaults).rateHz());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TelemetrySocket.Settings.of(config(Map.of("rateHz", 0.5))));
        assertEquals("rateHz must be 1..200, was 0.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TelemetrySocket.Settings.of(config(Map.of("queueMessages", 0))));
        assertEquals("queueMessages must be 1..1024, was 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TelemetrySocket.Settings.of(config(Map.of("rateHz", Double.NaN))));
        assertTrue(e.getMessage().startsWith("rateHz must be 1..200"));
    }

    /** A Config with the annotation's defaults, some replaced. */
    private static TelemetrySocket.Config config(Map<String, Object> values) {
        return (TelemetrySocket.Config) Proxy.newProxyInstance(TelemetrySocket.Config.class.getClassLoader(),
                new Class<?>[] {TelemetrySocket.Config.class},
                (p, m, a) -> values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue());
    }
}
