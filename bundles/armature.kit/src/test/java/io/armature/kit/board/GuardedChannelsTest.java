package io.armature.kit.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.armature.hal.ChannelInfo;

/** The rules {@link GuardedPwm} and {@link GuardedOutput} keep for every backend. */
class GuardedChannelsTest {

    private final List<String> failures = new ArrayList<>();
    private final MotionGuard guard = new MotionGuard("test", (channel, e) -> failures.add(channel));
    private final Pin pwm = new Pin(guard);
    private final Level brake = new Level(guard);

    @AfterEach
    void close() {
        guard.close();
    }

    private void feed() {
        guard.permit().permit(System.nanoTime() + 60_000_000_000L);
    }

    @Test
    void anOutOfRangeDutyIsRefusedWithOneLineNamingWhatIsKept() {
        feed();
        pwm.setDuty(1000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pwm.setDuty(65_536));
        assertEquals("duty for motor.pwm must be 0..65535, was 65536; kept 1000", e.getMessage());
        assertEquals(List.of(0, 1000), pwm.writes);
    }

    @Test
    void withoutAPermitAMovingWriteIsCountedAndWritesTheSafeState() {
        pwm.setDuty(30_000);
        brake.set(false);
        assertEquals(List.of(0, 0), pwm.writes, "the constructor's 0, then 0 instead of 30000");
        assertEquals(List.of(true), brake.writes);
        assertEquals(2, guard.permit().refusedWrites());
        pwm.setDuty(0);
        brake.set(true);
        assertEquals(2, guard.permit().refusedWrites(), "safe writes are not refusals");
        feed();
        pwm.setDuty(30_000);
        brake.set(false);
        assertEquals(30_000, pwm.duty());
        assertFalse(brake.level);
    }

    @Test
    void aPermitRevokedDuringTheWriteWins() {
        feed();
        pwm.onWrite = () -> guard.permit().revoke();
        pwm.setDuty(30_000);
        assertEquals(List.of(0, 30_000, 0), pwm.writes);
        assertTrue(pwm.isSafe());
    }

    @Test
    void afterStopEveryWriteThrowsAndTheSafeStateIsStillReachable() {
        guard.attach(List.of(pwm, brake));
        feed();
        pwm.setDuty(30_000);
        brake.set(false);
        guard.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pwm.setDuty(0));
        assertEquals("board 'test' is stopped; channel motor.pwm is gone", e.getMessage());
        assertThrows(IllegalStateException.class, () -> brake.set(true));
        assertEquals(0, pwm.duty(), "closing the guard drove it safe");
        assertTrue(brake.level);
        pwm.toSafeState();
        brake.toSafeState();
        assertEquals(0, pwm.writes.get(pwm.writes.size() - 1));
        assertTrue(failures.isEmpty(), failures.toString());
    }

    @Test
    void channelInfoDescribesTheSafeStateAlike() {
        assertEquals("duty 0", GuardedPwm.channelInfo("p", 8, "d").safeState());
        assertEquals("high", GuardedOutput.channelInfo("o", "d", true).safeState());
        assertEquals("low", GuardedOutput.channelInfo("o", "d", false).safeState());
    }

    private static final class Pin extends GuardedPwm {
        final List<Integer> writes = new ArrayList<>();
        Runnable onWrite = () -> { };
        private int duty;

        Pin(MotionGuard guard) {
            super(guard);
            writeDuty(0);
        }

        @Override
        public ChannelInfo info() {
            return channelInfo("motor.pwm", 16, "test");
        }

        @Override
        protected void writeDuty(int duty) {
            writes.add(duty);
            this.duty = duty;
            onWrite.run();
        }

        @Override
        public int duty() {
            return duty;
        }

        @Override
        public void setFrequency(double hertz) {
        }

        @Override
        public double frequency() {
            return 20_000;
        }
    }

    private static final class Level extends GuardedOutput {
        final List<Boolean> writes = new ArrayList<>();
        boolean level = true;

        Level(MotionGuard guard) {
            super(guard, "motor.brake", "test", true);
        }

        @Override
        protected void writeLevel(boolean high) {
            writes.add(high);
            level = high;
        }

        @Override
        public boolean get() {
            return level;
        }
    }
}
