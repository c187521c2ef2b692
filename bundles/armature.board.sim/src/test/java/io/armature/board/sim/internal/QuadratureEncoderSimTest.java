package io.armature.board.sim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class QuadratureEncoderSimTest {

    record EdgeSeen(boolean phaseB, boolean level, long t) {
    }

    @Test
    void oneEdgePerCountWithALeadingBWhenTurningForward() {
        QuadratureEncoderSim e = new QuadratureEncoderSim(1440);
        List<EdgeSeen> edges = new ArrayList<>();
        e.moveTo(2 * Math.PI * 4 / 1440 + 1e-9, 0, 4000, (b, l, t) -> edges.add(new EdgeSeen(b, l, t)));
        assertEquals(4, e.counts());
        assertEquals(List.of(new EdgeSeen(false, true, 1000), new EdgeSeen(true, true, 2000),
                new EdgeSeen(false, false, 3000), new EdgeSeen(true, false, 4000)), edges);
    }

    @Test
    void countsBackwardsWithBLeadingA() {
        QuadratureEncoderSim e = new QuadratureEncoderSim(1440);
        List<EdgeSeen> edges = new ArrayList<>();
        e.moveTo(-2 * Math.PI * 2 / 1440 + 1e-9, 0, 2, (b, l, t) -> edges.add(new EdgeSeen(b, l, t)));
        assertEquals(-2, e.counts());
        assertEquals(true, edges.get(0).phaseB(), "B changes first in reverse");
    }

    @Test
    void countsAFullRevolution() {
        QuadratureEncoderSim e = new QuadratureEncoderSim(1440);
        int[] n = {0};
        e.moveTo(2 * Math.PI + 1e-9, 0, 1, (b, l, t) -> n[0]++);
        assertEquals(1440, e.counts());
        assertEquals(1440, n[0]);
    }

    @Test
    void rejectsCountsThatAreNotQuadrature() {
        assertThrows(IllegalArgumentException.class, () -> new QuadratureEncoderSim(1442));
    }
}
