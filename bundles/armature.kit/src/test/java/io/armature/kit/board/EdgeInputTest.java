package io.armature.kit.board;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.hal.ChannelType;
import io.armature.hal.Edge;
import io.armature.hal.Registration;

class EdgeInputTest {

    private static final class Button extends EdgeInput {
        Button() {
            super("estop.in", "e-stop button");
        }

        @Override
        public boolean read() {
            return true;
        }

        void press(long t) {
            fire(false, t);
        }
    }

    @Test
    void describesItselfAndHandsEdgesToTheListenersThatAskForThem() {
        Button b = new Button();
        assertEquals(ChannelType.DIGITAL_INPUT, b.info().type());
        assertEquals("", b.info().safeState());
        List<String> seen = new ArrayList<>();
        Registration falling = b.onEdge(Edge.FALLING, (ch, level, t) -> seen.add(ch + " " + level + " " + t));
        b.onEdge(Edge.RISING, (ch, level, t) -> seen.add("rising?"));
        b.press(7);
        falling.close();
        b.press(8);
        assertEquals(List.of("estop.in false 7"), seen);
    }
}
