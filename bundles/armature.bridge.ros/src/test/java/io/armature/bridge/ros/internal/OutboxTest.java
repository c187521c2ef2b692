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
}
