package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.armature.control.TunableLoop;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.SafetyState;

/**
 * A bundle updated in place (the Web Console's Update button, Gogo's {@code update}) while the
 * left wheel runs at 20 rad/s: what happens for each kind of bundle, as the README says.
 */
class InPlaceUpdateTest {

    private FeatureRuntime robot;
    private PwmOutput pwm;
    private DigitalOutput brake;

    @BeforeEach
    void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
        robot.healthySupervisor();
        robot.gogo("robot:setpoint left 20");
        TunableLoop left = loop();
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement() - 20) < 0.5), "at speed: " + left.measurement());
        pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);
        brake = robot.service(DigitalOutput.class, "(armature.channel=motor.left.brake)", 5_000);
    }

    @AfterEach
    void shutdown() throws Exception {
        robot.close();
    }

    private TunableLoop loop() throws Exception {
        return robot.service(TunableLoop.class, "(armature.loop.name=left)", 5_000);
    }

    private String update(String bundle) throws Exception {
        return robot.gogo("update " + robot.bundle(bundle).getBundleId());
    }

    @Test
    void theControlBundleUpdatedInPlaceComesBackAndDrivesItsCommandOnWithoutATrip() throws Exception {
        long t0;
        try (DriveWatch watch = new DriveWatch(pwm, brake)) {
            t0 = System.nanoTime();
            update("armature.control");
            SafetySupervisor s = robot.service(SafetySupervisor.class, null, 5_000);
            assertTrue(Poll.until(5_000, () -> Math.abs(loop().measurement() - 20) < 0.5 || !s.mayMove()), "back at speed or tripped");
            assertTrue(watch.undriven.get() > 0, "the wheel was not driven while its loop was away");
            if (s.mayMove()) {
                assertEquals(20.0, loop().setpoint(), "the command in force, kept by armature.motion");
                System.out.printf(Locale.ROOT, "armature.control updated in place: left motor undriven from %.1f ms to %.1f ms after the update "
                        + "began (heartbeat timeout 250 ms), back at speed %.0f ms after it%n", (watch.firstUndriven - t0) / 1e6,
                        (watch.lastUndriven - t0) / 1e6, (System.nanoTime() - t0) / 1e6);
            } else {
                // a loaded machine: the loops were not back within their heartbeat timeout, which
                // the README gives as the other outcome; then the wheel stays stopped
                assertTrue(s.tripReason().orElseThrow().message().startsWith("bundle armature.control stopped and took loop"), s.tripReason().get().message());
                Thread.sleep(300);
                assertEquals(0.0, loop().setpoint(), "tripped: the command is void");
                assertEquals(0, pwm.duty(), "and the wheel stays stopped");
                System.out.printf(Locale.ROOT, "armature.control updated in place: the loops were not back within 250 ms; tripped: %s%n",
                        s.tripReason().get().message());
            }
        }
    }

    @Test
    void anOperatorRefreshesUpdatesThenStopsTheControlBundleOnTheStockBundlesPage() throws Exception {
        Path newer = robot.newVersionOf("armature.control", "0.1.1.upload");
        BrowserScenario.run(robot, "bundles-page.mjs", Map.of("ARMATURE_CONTROL_ID", Long.toString(robot.bundle("armature.control").getBundleId()),
                "ARMATURE_JAR", newer.toAbsolutePath().toString(), "ARMATURE_JAR_VERSION", "0.1.1.upload"));
        assertEquals("0.1.1.upload", robot.bundle("armature.control").getVersion().toString(), "the upload updated the bundle in place");
        assertEquals(0, pwm.duty(), "stopped: the motor is safe");
        assertTrue(brake.get());
        assertEquals("bundle:armature.control", robot.service(SafetySupervisor.class, null, 5_000).tripReason().orElseThrow().source());
    }

    @Test
    void theMotionBundleUpdatedInPlaceLeavesTheWheelDriven() throws Exception {
        try (DriveWatch watch = new DriveWatch(pwm, brake)) {
            update("armature.motion");
            Thread.sleep(500);
            assertEquals(0, watch.undriven.get(), "the loops keep their setpoints while the command path restarts, of " + watch.samples.get());
        }
        assertEquals(20.0, loop().setpoint());
        assertEquals(SafetyState.OK, robot.service(SafetySupervisor.class, null, 5_000).state());
        assertEquals("left setpoint 0 rad/s", robot.gogo("robot:setpoint left 0").trim(), "the new command path takes commands");
        assertTrue(Poll.until(3_000, () -> Math.abs(loop().measurement()) < 0.5), "and the wheel stops");
    }

    @ParameterizedTest
    @ValueSource(strings = {"armature.board.sim", "armature.sensors"})
    void aBoardOrSensorBundleUpdatedInPlaceTripsAndAfterTheResetOnlyANewCommandMoves(String bundle) throws Exception {
        update(bundle);
        SafetySupervisor s = robot.service(SafetySupervisor.class, null, 5_000);
        assertTrue(Poll.until(5_000, () -> !s.mayMove()), "the loops lost their board or their measurement: tripped");
        assertTrue(Poll.until(10_000, () -> robot.gogo("robot:reset").contains("motion is allowed")), robot.gogo("robot:status"));
        PwmOutput now = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);
        Thread.sleep(300);
        assertEquals(0, now.duty(), "the reset moved nothing");
        assertEquals(0.0, loop().setpoint());
        robot.gogo("robot:setpoint left 10");
        assertTrue(Poll.until(3_000, () -> Math.abs(loop().measurement() - 10) < 0.5), "a new command drives: " + loop().measurement());
    }

    @Test
    void theSupervisorUpdatedInPlaceForgetsTheCommandsAndTheWheelStopsWithoutATrip() throws Exception {
        update("armature.safety");
        SafetySupervisor s = robot.service(SafetySupervisor.class, null, 5_000);
        assertTrue(Poll.until(3_000, () -> pwm.duty() == 0 && brake.get()), "another supervisor: the loops drop their setpoints");
        assertEquals(SafetyState.OK, s.state(), "no trip: " + s.tripReason());
        assertEquals(0.0, loop().setpoint());
        Thread.sleep(300);
        assertEquals(0, pwm.duty(), "nothing moves by itself");
        robot.gogo("robot:setpoint left 10");
        assertTrue(Poll.until(3_000, () -> Math.abs(loop().measurement() - 10) < 0.5), "a new command drives: " + loop().measurement());
    }
}
