package io.armature.board.sim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

import io.armature.hal.Actuator;
import io.armature.hal.AnalogInput;
import io.armature.hal.Channel;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.Edge;
import io.armature.hal.I2cBus;
import io.armature.hal.PwmOutput;
import io.armature.hal.UnknownChannelException;
import io.armature.testing.ComponentConfigs;

class SimBoardTest {

    private static final long MS = 1_000_000;
    private final SimBoard board = new SimBoard();

    private static SimBoard.Config config(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        m.put("realTime", false);
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return ComponentConfigs.of(SimBoard.Config.class, m);
    }

    /** Feeds the motion permit for a minute, as a supervisor would: a supervised board moves only while fed. */
    private void permit() {
        board.permitMotion(System.nanoTime() + 60_000_000_000L);
    }

    private static Logger logger(List<String> logged) {
        return io.armature.testing.RecordingLogger.into(logged);
    }

    @AfterEach
    void stop() {
        if (board.info() != null) {
            board.deactivate();
        }
    }

    @Test
    void drivingTheLeftMotorChannelsTurnsTheLeftWheelAndItsEncoder() {
        board.activate(config(), null);
        permit();
        List<Boolean> aEdges = new ArrayList<>();
        board.channel("encoder.left.a", DigitalInput.class).onEdge(Edge.RISING, (ch, level, t) -> aEdges.add(level));
        board.channel("motor.left.brake", DigitalOutput.class).set(false);
        board.channel("motor.left.pwm", PwmOutput.class).setDuty(40_000);
        board.advance(500 * MS);
        assertTrue(board.plant().left.speed() > 5, "left wheel at " + board.plant().left.speed() + " rad/s");
        assertEquals(0.0, board.plant().right.speed(), "the right wheel is braked and unpowered");
        long counts = board.plant().leftEncoder.counts();
        assertEquals(counts / 4, aEdges.size(), 1.0, "one rising A edge per four counts");
        assertTrue(aEdges.stream().allMatch(l -> l));
    }

    @Test
    void directionPinReversesTheWheel() {
        board.activate(config(), null);
        permit();
        board.channel("motor.right.brake", DigitalOutput.class).set(false);
        board.channel("motor.right.dir", DigitalOutput.class).set(true);
        board.channel("motor.right.pwm", PwmOutput.class).setDuty(PwmOutput.MAX_DUTY);
        board.advance(300 * MS);
        assertTrue(board.plant().right.speed() < -10);
        assertTrue(board.plant().heading() < 0, "only the right wheel backwards: the rover turns right");
    }

    @Test
    void aDutyOutsideTheRangeIsRefusedAndTheOldDutyKept() {
        board.activate(config(), null);
        permit();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        pwm.setDuty(1000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pwm.setDuty(65536));
        assertTrue(e.getMessage().contains("0..65535"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pwm.setDuty(-1));
        assertEquals(1000, pwm.duty());
        assertThrows(IllegalArgumentException.class, () -> pwm.setFrequency(Double.NaN));
        assertEquals(20000.0, pwm.frequency());
    }

    @Test
    void unknownChannelNamesTheChannelsThatExist() {
        board.activate(config(), null);
        UnknownChannelException e = assertThrows(UnknownChannelException.class, () -> board.channel("motor.middle.pwm", PwmOutput.class));
        assertTrue(e.getMessage().contains("motor.middle.pwm") && e.getMessage().contains("motor.left.pwm"), e.getMessage());
        UnknownChannelException wrongType = assertThrows(UnknownChannelException.class, () -> board.channel("estop.in", PwmOutput.class));
        assertTrue(wrongType.getMessage().contains("DIGITAL_INPUT"), wrongType.getMessage());
    }

    @Test
    void batteryReadsThroughTheDividerInMillivolts() {
        board.activate(config(), null);
        AnalogInput adc = board.channel("battery.sense", AnalogInput.class);
        board.advance(10 * MS);
        int mv = adc.readMillivolts();
        assertEquals(board.plant().batteryVolts() * 1000 / 4, mv, 1.0, "12-bit steps of 0.8 mV");
        assertEquals(12, adc.info().resolutionBits());
    }

    @Test
    void imuOnTheI2cBusFeelsTheRoverTurn() throws Exception {
        board.activate(config("gyroNoise", 0.0, "gyroBias", 0.0), null);
        permit();
        I2cBus bus = board.channel("i2c.1", I2cBus.class);
        bus.writeRegister(0x68, 0x6B, new byte[] {0}, 0, 1); // wake
        bus.writeRegister(0x68, 0x1B, new byte[] {2 << 3}, 0, 1); // ±1000 °/s: a spinning rover exceeds ±250
        board.channel("motor.right.brake", DigitalOutput.class).set(false);
        board.channel("motor.right.pwm", PwmOutput.class).setDuty(50_000);
        board.advance(400 * MS);
        byte[] r = new byte[2];
        bus.readRegister(0x68, 0x47, r, 0, 2);
        double degPerSecond = (short) (((r[0] & 0xFF) << 8) | (r[1] & 0xFF)) / 32.8;
        assertEquals(Math.toDegrees(board.plant().yawRate()), degPerSecond, 0.05);
        assertThrows(java.io.IOException.class, () -> bus.readRegister(0x50, 0, r, 0, 1));
    }

    @Test
    void stoppingTheBoardLeavesEveryActuatorSafeAndRefusesCommands() {
        board.activate(config(), null);
        permit();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        brake.set(false);
        pwm.setDuty(60_000);
        board.advance(200 * MS);
        board.deactivate();
        for (Channel c : board.channels()) {
            if (c instanceof Actuator a) {
                assertTrue(a.isSafe(), c.name() + " safe after stop");
            }
        }
        assertThrows(IllegalStateException.class, () -> pwm.setDuty(100));
        assertEquals(0, pwm.duty());
        assertTrue(brake.get(), "brake on");
    }

    @Test
    void estopButtonFollowsTheConfigurationLive() {
        board.activate(config(), null);
        DigitalInput estop = board.channel("estop.in", DigitalInput.class);
        List<Boolean> edges = new ArrayList<>();
        estop.onEdge(Edge.FALLING, (ch, level, t) -> edges.add(level));
        assertTrue(estop.read(), "released: pulled high");
        board.modified(config("estopPressed", true));
        assertFalse(estop.read());
        assertEquals(List.of(false), edges);
    }

    @Test
    void loadChangesLiveAndBadValuesLeaveThePreviousConfiguration() {
        board.activate(config(), null);
        permit();
        board.channel("motor.left.brake", DigitalOutput.class).set(false);
        board.channel("motor.left.pwm", PwmOutput.class).setDuty(PwmOutput.MAX_DUTY);
        board.advance(500 * MS);
        double free = board.plant().left.speed();
        board.modified(config("loadTorqueNm", 0.6));
        board.advance(500 * MS);
        double loaded = board.plant().left.speed();
        assertTrue(loaded < free * 0.8, free + " -> " + loaded);

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> board.modified(config("loadTorqueNm", -3.0)));
        assertTrue(bad.getMessage().contains("loadTorqueNm"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> board.modified(config("stepRateHz", 5)));
        IllegalArgumentException fixed = assertThrows(IllegalArgumentException.class, () -> board.modified(config("seed", 1L)));
        assertTrue(fixed.getMessage().contains("seed"), fixed.getMessage());
        board.advance(500 * MS);
        assertEquals(loaded, board.plant().left.speed(), Math.abs(loaded) * 0.01, "0.6 N·m still in force");
    }

    @Test
    void unsupervisedUntilThePermitIsFirstFedThenALapseDrivesEverythingSafe() {
        board.activate(config("unsupervised", true), null);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        assertTrue(board.motionPermitted(), "no supervisor yet: unsupervised");
        brake.set(false);
        pwm.setDuty(30_000);
        board.permitMotion(System.nanoTime() + 50 * MS);
        board.advance(5 * MS);
        assertEquals(30_000, pwm.duty(), "within the permit");
        board.permitMotion(System.nanoTime() - 1); // lapsed
        board.advance(MS);
        assertEquals(0, pwm.duty(), "the board drove the motor safe by itself");
        assertTrue(brake.get());
        assertEquals(1, board.permitLapses());
        pwm.setDuty(30_000);
        brake.set(false);
        assertEquals(0, pwm.duty(), "no permit: a moving write does not take effect");
        assertTrue(brake.get());
        assertEquals(2, board.refusedWrites());
        pwm.setDuty(0); // safe writes are always allowed
        board.permitMotion(System.nanoTime() + 50 * MS);
        pwm.setDuty(10_000);
        assertEquals(10_000, pwm.duty(), "a fresh permit lets it move again");
        board.revokeMotion();
        assertEquals(0, pwm.duty(), "revoked: safe at once");
    }

    @Test
    void aBoardThatNoSupervisorFedRefusesMotion() {
        List<String> logged = new CopyOnWriteArrayList<>();
        board.setLogger(logger(logged));
        board.activate(config(), null);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        DigitalOutput led = board.channel("led.status", DigitalOutput.class);
        assertFalse(board.motionPermitted(), "fail-closed: no feed, no motion");
        brake.set(false);
        pwm.setDuty(30_000);
        led.set(true);
        assertTrue(brake.get(), "the brake stays on");
        assertEquals(0, pwm.duty(), "the duty stays 0");
        assertFalse(led.get(), "an output stays at its safe level");
        assertEquals(3, board.refusedWrites());
        pwm.setDuty(0); // safe writes are always allowed, and not counted
        brake.set(true);
        assertEquals(3, board.refusedWrites());
        board.advance(300 * MS);
        assertEquals(0.0, board.plant().left.speed(), "the wheel never turned");
        assertEquals(0, board.permitLapses(), "nothing left its safe state, so nothing to drive back");
        assertTrue(logged.stream().noneMatch(l -> l.startsWith("WARN")), logged.toString());
        permit();
        brake.set(false);
        pwm.setDuty(30_000);
        assertEquals(30_000, pwm.duty(), "the first feed lets it move");
        assertEquals(3, board.refusedWrites());
    }

    @Test
    void anUnsupervisedBoardMovesBeforeTheFirstFeedAndIsArmedByARevoke() {
        List<String> logged = new CopyOnWriteArrayList<>();
        board.setLogger(logger(logged));
        board.activate(config("unsupervised", true), null);
        assertEquals(List.of("WARN board 'sim' is unsupervised: it moves with no safety supervisor; for a bench only"),
                logged.stream().filter(l -> l.startsWith("WARN")).toList());
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        assertTrue(board.motionPermitted(), "unsupervised: motion before any feed");
        brake.set(false);
        pwm.setDuty(30_000);
        assertEquals(30_000, pwm.duty());
        assertFalse(brake.get());
        assertEquals(0, board.refusedWrites());
        board.advance(300 * MS);
        assertTrue(board.plant().left.speed() > 5, "the wheel turns: " + board.plant().left.speed());

        board.revokeMotion();
        assertFalse(board.motionPermitted(), "a revoke arms the permit: unsupervised no more");
        assertEquals(0, pwm.duty(), "safe at once");
        assertTrue(brake.get());
        pwm.setDuty(30_000);
        brake.set(false);
        assertEquals(0, pwm.duty(), "armed and not fed: refused");
        assertTrue(brake.get());
        assertEquals(2, board.refusedWrites());
        board.advance(MS);
        assertEquals(0, pwm.duty(), "still safe a step later");

        IllegalArgumentException fixed = assertThrows(IllegalArgumentException.class, () -> board.modified(config("unsupervised", false)));
        assertTrue(fixed.getMessage().startsWith("unsupervised cannot change while the board runs"), fixed.getMessage());
    }

    @Test
    void realTimeBoardStepsOnItsOwnThread() throws Exception {
        SimBoard rt = new SimBoard();
        rt.activate(config("realTime", true), null);
        try {
            long t0 = System.nanoTime();
            while (rt.steps() < 50 && System.nanoTime() - t0 < 5_000_000_000L) {
                Thread.sleep(5);
            }
            assertTrue(rt.steps() >= 50, "the plant thread steps: " + rt.steps());
            assertThrows(IllegalStateException.class, () -> rt.advance(MS));
        } finally {
            rt.deactivate();
        }
    }
}
