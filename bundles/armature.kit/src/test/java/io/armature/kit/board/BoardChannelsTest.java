package io.armature.kit.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.Edge;
import io.armature.hal.EdgeListener;
import io.armature.hal.Registration;
import io.armature.hal.UnknownChannelException;

class BoardChannelsTest {

    private final MotionGuard guard = new MotionGuard("b", (c, e) -> { });

    @Test
    void describesFindsAndPicksTheActuatorsInTheBuiltOrder() {
        Out led = new Out("led", guard);
        In estop = new In("estop.in");
        BoardChannels channels = new BoardChannels("b", "a model", "test", List.of(led, estop));
        assertEquals(List.of("led", "estop.in"), channels.info().channels().stream().map(ChannelInfo::name).toList());
        assertEquals("a model", channels.info().model());
        assertEquals("test", channels.info().backend());
        assertEquals(List.<Channel>of(led, estop), channels.list());
        assertEquals(List.of(led), channels.actuators());
        assertEquals(2, channels.size());
        assertSame(estop, channels.find("estop.in", DigitalInput.class));
        UnknownChannelException e = assertThrows(UnknownChannelException.class, () -> channels.find("estop.in", DigitalOutput.class));
        assertTrue(e.getMessage().contains("DIGITAL_INPUT"), e.getMessage());
        assertThrows(UnknownChannelException.class, () -> channels.find("nope", Channel.class));
    }

    @Test
    void twoChannelsOfOneNameAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BoardChannels("b", "m", "test", List.of(new In("x"), new In("x"))));
        assertEquals("board 'b' has two channels named 'x'", e.getMessage());
    }

    @Test
    void aGuardedBoardServesThePermitAndItsChannelsThroughTheKit() {
        Out led = new Out("led", guard);
        TestBoard board = new TestBoard();
        assertNull(board.info(), "not built yet");
        board.current = new BoardChannels("b", "m", "test", List.of(led));
        guard.attach(board.current.actuators());
        assertEquals("b", board.info().id());
        assertSame(led, board.channel("led", DigitalOutput.class));
        assertFalse(board.motionPermitted(), "fail-closed");
        led.set(true);
        assertEquals(1, board.refusedWrites());
        board.permitMotion(System.nanoTime() + 60_000_000_000L);
        led.set(true);
        assertTrue(led.get());
        board.revokeMotion();
        assertFalse(led.get(), "a revoke drives it safe at once");
        assertEquals(0, board.permitLapses(), "a revoke is no lapse");
        guard.close();
    }

    private final class TestBoard extends GuardedBoard {
        BoardChannels current;

        @Override
        protected MotionGuard guard() {
            return guard;
        }

        @Override
        protected BoardChannels boardChannels() {
            return current;
        }
    }

    private static final class Out extends GuardedOutput {
        private boolean level;

        Out(String name, MotionGuard guard) {
            super(guard, name, "test", false);
        }

        @Override
        protected void writeLevel(boolean high) {
            level = high;
        }

        @Override
        public boolean get() {
            return level;
        }
    }

    private record In(String n) implements DigitalInput {
        @Override
        public ChannelInfo info() {
            return new ChannelInfo(n, ChannelType.DIGITAL_INPUT, 1, "test", "");
        }

        @Override
        public boolean read() {
            return true;
        }

        @Override
        public Registration onEdge(Edge edge, EdgeListener listener) {
            return () -> { };
        }
    }
}
