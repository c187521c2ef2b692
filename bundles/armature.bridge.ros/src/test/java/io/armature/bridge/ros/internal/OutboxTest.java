package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutboxTest {

    @Test
    void aClientThatFallsBehindIsDroppedNotBufferedWithoutEnd() {
        FakeSocket socket = new FakeSocket("127.0.0.1:1");
        Outbox out = new Outbox(socket, 3);
        for (int i = 0; i < 3; i++) {
            socket.queued = i;
            assertTrue(out.send("m" + i));
        }
        socket.queued = 3;
        assertFalse(out.send("m3"), "the fourth waiting message is not queued");
        assertEquals("1008 too slow: 3 messages waiting; reconnect and subscribe to less", socket.closedWith);
        socket.queued = 0;
        assertFalse(out.send("m4"), "a dropped client stays dropped");
        assertEquals(3, socket.texts.size());
        assertTrue(out.dropped());
    }

    @Test
    void aClientHoldingTooManyBytesIsDroppedToo() {
        FakeSocket socket = new FakeSocket("127.0.0.1:1") {
            @Override
            public long queuedBytes() {
                return 900;
            }
        };
        Outbox out = new Outbox(socket, 100, 1000);
        assertTrue(out.send("x".repeat(100)), "900 + 100 fits");
        assertFalse(out.send("x".repeat(101)));
        assertEquals("1008 too slow: more than 1000 bytes waiting (maxQueuedBytes); reconnect and subscribe to less", socket.closedWith);
        assertTrue(out.dropped());
    }

    @Test
    void aClosedClientGetsNothingMore() {
        FakeSocket socket = new FakeSocket("127.0.0.1:1");
        Outbox out = new Outbox(socket, 100);
        out.close("auth refused: wrong token; the connection closes");
        assertEquals("1008 auth refused: wrong token; the connection closes", socket.closedWith);
        assertFalse(out.send("more"));
        assertFalse(out.dropped(), "closed for what it did, not dropped for being slow");
    }
}
