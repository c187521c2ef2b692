package io.armature.kit.board;

import io.armature.hal.Edge;
import io.armature.hal.Registration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class EdgeListenersTest {

    @Test
    void eachListenerGetsTheEdgesItAskedFor() {
        EdgeListeners listeners = new EdgeListeners();
        List<String> seen = new ArrayList<>();
        listeners.add(Edge.RISING, (c, level, t) -> seen.add("rising " + c + " " + level + " " + t));
        listeners.add(Edge.FALLING, (c, level, t) -> seen.add("falling " + c + " " + level + " " + t));
        listeners.add(Edge.BOTH, (c, level, t) -> seen.add("both " + c + " " + level + " " + t));
        listeners.fire("estop.in", true, 100);
        listeners.fire("estop.in", false, 250);
        assertEquals(List.of("rising estop.in true 100", "both estop.in true 100", "falling estop.in false 250", "both estop.in false 250"), seen);
    }

    @Test
    void aThrowingListenerDoesNotStopTheOthers() {
        EdgeListeners listeners = new EdgeListeners();
        List<Long> seen = new ArrayList<>();
        listeners.add(Edge.BOTH, (c, level, t) -> {
            throw new IllegalStateException("faulty");
        });
        listeners.add(Edge.BOTH, (c, level, t) -> seen.add(t));
        listeners.fire("encoder.a", true, 7);
        assertEquals(List.of(7L), seen);
    }

    @Test
    void aClosedRegistrationGetsNoMoreEdgesAndClosingTwiceIsHarmless() {
        EdgeListeners listeners = new EdgeListeners();
        List<String> seen = new ArrayList<>();
        Registration first = listeners.add(Edge.BOTH, (c, level, t) -> seen.add("first"));
        listeners.add(Edge.BOTH, (c, level, t) -> seen.add("second"));
        Registration third = listeners.add(Edge.BOTH, (c, level, t) -> seen.add("third"));
        first.close();
        first.close();
        listeners.fire("in", true, 1);
        third.close();
        listeners.fire("in", false, 2);
        assertEquals(List.of("second", "third", "second"), seen);
    }
}
