package io.armature.kit.sensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.DigitalInput;
import io.armature.hal.Edge;
import io.armature.hal.EdgeListener;
import io.armature.hal.Registration;

class QuadratureDecoderTest {

    /** An input whose level the test sets; it tells its listeners as a board would. */
    private static final class Line implements DigitalInput {
        private final String name;
        private final List<EdgeListener> listeners = new ArrayList<>();
        private boolean level;

        Line(String name) {
            this.name = name;
        }

        void set(boolean to, long t) {
            if (to != level) {
                deliver(to, t);
            }
        }

        /** An edge event as the board delivers it, whether or not the one before it was seen. */
        void deliver(boolean to, long t) {
            level = to;
            for (EdgeListener l : List.copyOf(listeners)) {
                l.onEdge(name, to, t);
            }
        }

        @Override
        public ChannelInfo info() {
            return new ChannelInfo(name, ChannelType.DIGITAL_INPUT, 1, "encoder", "");
        }

        @Override
        public boolean read() {
            return level;
        }

        @Override
        public Registration onEdge(Edge edge, EdgeListener listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }
    }

    private final Line a = new Line("a");
    private final Line b = new Line("b");

    /** One quadrature cycle, A leading B: 00 -> 10 -> 11 -> 01 -> 00, four counts. */
    private void forwardCycle(long t) {
        a.set(true, t);
        b.set(true, t + 1);
        a.set(false, t + 2);
        b.set(false, t + 3);
    }

    @Test
    void countsFourPerCycleSignedByWhichSignalLeads() {
        try (QuadratureDecoder d = new QuadratureDecoder(a, b)) {
            for (int i = 0; i < 10; i++) {
                forwardCycle(i * 10L);
            }
            assertEquals(40, d.counts());
            // B leading A: backwards
            for (int i = 0; i < 3; i++) {
                b.set(true, 1000);
                a.set(true, 1001);
                b.set(false, 1002);
                a.set(false, 1003);
            }
            assertEquals(28, d.counts());
            long[] pair = new long[2];
            d.read(pair);
            assertArrayEquals(new long[] {28, 1003}, pair, "the count and the time of the edge that made it");
            assertEquals(0, d.errors());
        }
    }

    @Test
    void aMissedEdgeIsAnErrorNotAGuess() {
        try (QuadratureDecoder d = new QuadratureDecoder(a, b)) {
            a.set(true, 1);
            assertEquals(1, d.counts());
            // A fell and rose again, and only the rise reached us
            a.deliver(true, 2);
            assertEquals(1, d.counts(), "no count guessed");
            assertEquals(1, d.errors());
            long[] pair = new long[2];
            d.read(pair);
            assertEquals(1, pair[1], "the count's edge time stays that of the edge that made it");
        }
    }

    @Test
    void aReaderAlwaysGetsACountWithTheTimeOfTheEdgeThatMadeIt() throws Exception {
        try (QuadratureDecoder d = new QuadratureDecoder(a, b)) {
            int edges = 2_000_000;
            Thread writer = new Thread(() -> {
                // forward: A rises, B rises, A falls, B falls; edge k (from 1) makes count k
                for (int k = 1; k <= edges; k++) {
                    switch (k % 4) {
                        case 1 -> a.deliver(true, k);
                        case 2 -> b.deliver(true, k);
                        case 3 -> a.deliver(false, k);
                        default -> b.deliver(false, k);
                    }
                }
            });
            writer.start();
            long[] pair = new long[2];
            long reads = 0;
            long last = 0;
            while (writer.isAlive() || reads == 0) {
                d.read(pair);
                if (pair[0] > 0) {
                    assertEquals(pair[0], pair[1], "count and edge time from the same edge");
                }
                assertTrue(pair[0] >= last, "never backwards");
                last = pair[0];
                reads++;
            }
            writer.join();
            assertEquals(edges, d.counts());
        }
    }

    @Test
    void closeStopsListening() {
        QuadratureDecoder d = new QuadratureDecoder(a, b);
        d.close();
        forwardCycle(0);
        assertEquals(0, d.counts());
        assertEquals(0, a.listeners.size() + b.listeners.size());
    }
}
