package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.armature.board.mcu.simulator.McuSimulator;
import io.armature.hal.Board;
import io.armature.safety.SafetySupervisor;
import io.armature.testing.PtyPair;

/**
 * The esp32-rover feature, booted from its built jar in a real Felix, driving the microcontroller
 * simulator at the other end of a real pty pair (socat): the wheel loops close through the
 * microcontroller's encoder streams, and every way of losing the host stops the motors on the
 * microcontroller.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Esp32RoverTest {

    /** Runs last: after a supervisor restart the link once went silent for 500 ms, and no other case may depend on that. */
    private static final int LAST = Integer.MAX_VALUE; // after the unannotated cases, which JUnit orders at Integer.MAX_VALUE / 2

    private static Path dir;
    private static PtyPair line;
    private static volatile McuSimulator mcu;
    private static FeatureRuntime robot;

    @BeforeAll
    static void boot() throws Exception {
        dir = Files.createTempDirectory("armature-esp32-");
        line = PtyPair.open(dir);
        mcu = McuSimulator.open(line.device().toString());
        robot = FeatureRuntime.startReady("esp32-rover", Map.of(),
                config -> FeatureRuntime.setConfig(config.resolve("armature.board.mcu.cfg"), "port", line.host().toString()));
        SafetySupervisor safety = safety();
        assertTrue(Poll.until(10_000, () -> !robot.context().getServiceReferences(Board.class, "(armature.board=mcu)").isEmpty() && safety.mayMove()),
                robot.console());
        assertTrue(robot.console().lines().noneMatch(l -> l.contains("SAFETY TRIP")),
                "a clean start: the loops wait for the microcontroller's first encoder samples without a fault; " + robot.console());
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
        if (mcu != null) {
            mcu.close();
        }
        if (line != null) {
            line.close();
        }
    }

    @AfterEach
    void stopWheels() throws Exception {
        robot.gogo("robot:setpoint left 0");
        robot.gogo("robot:setpoint right 0");
    }

    private static SafetySupervisor safety() throws Exception {
        return robot.service(SafetySupervisor.class, null, 5_000);
    }

    @Test
    void theWheelLoopsHoldTheirSetpointsThroughTheMicrocontrollersEncoders() throws Exception {
        assertEquals(1, robot.context().getServiceReferences(Board.class, "(armature.board=mcu)").size());
        robot.gogo("robot:setpoint left 10");
        robot.gogo("robot:setpoint right -6");
        assertTrue(Poll.until(5_000, () -> Math.abs(mcu.wheelSpeed(0) - 10) < 0.5 && Math.abs(mcu.wheelSpeed(1) + 6) < 0.5),
                "wheels at " + mcu.wheelSpeed(0) + " and " + mcu.wheelSpeed(1) + " rad/s; " + robot.gogo("robot:loops"));
        String streams = robot.gogo("robot:streams");
        assertTrue(streams.contains("encoder.left") && streams.contains("imu"), streams);
    }

    @Test
    void anEstopStopsTheMicrocontrollersMotorsAtOnce() throws Exception {
        robot.gogo("robot:setpoint right 10");
        assertTrue(Poll.until(5_000, () -> mcu.pwmHardware(1) > 0));
        long t0 = System.nanoTime();
        robot.gogo("robot:estop");
        assertTrue(Poll.until(1_000, () -> mcu.pwmHardware(1) == 0 && (mcu.gpioLevels() & 0b1100) == 0b1100),
                "PWM 0 and both brakes on at the microcontroller");
        System.out.printf("e-stop -> microcontroller PWM 0 and brakes on: %.1f ms%n", (System.nanoTime() - t0) / 1e6);
        robot.gogo("robot:setpoint right 0");
        assertTrue(robot.gogo("robot:reset").contains("motion is allowed"));
    }

    @Test
    @Order(LAST)
    void whenTheSupervisorStopsVouchingTheMicrocontrollerStopsTheMotorsOnItsOwnTimeout() throws Exception {
        robot.gogo("robot:setpoint left 10");
        assertTrue(Poll.until(5_000, () -> mcu.pwmHardware(0) > 0));
        long lapsesBefore = mcu.lapses();
        long t0 = System.nanoTime();
        robot.bundle("armature.safety").stop(); // as good as a frozen supervisor: no more permits
        try {
            assertTrue(Poll.until(1_000, () -> mcu.pwmHardware(0) == 0), "motors stopped");
            System.out.printf("supervisor stopped -> microcontroller PWM 0: %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            assertTrue(Poll.until(1_000, () -> mcu.lapses() > lapsesBefore),
                    "and no heartbeat went out any more: the microcontroller's own timeout fired");
        } finally {
            robot.bundle("armature.safety").start();
        }
        assertTrue(Poll.until(5_000, () -> robot.gogo("robot:reset").contains("motion is allowed")), robot.gogo("robot:status"));
    }

    @Test
    void theSerialLineVanishingTripsTheRobotAndItComesBackWithThePeer() throws Exception {
        robot.gogo("robot:setpoint left 8");
        assertTrue(Poll.until(5_000, () -> mcu.pwmHardware(0) > 0));
        line.kill(); // the USB cable is pulled
        mcu.close();
        SafetySupervisor safety = safety();
        // the first to notice trips it: a loop whose encoder samples stopped, or the board going away
        assertTrue(Poll.until(2_000, () -> !safety.mayMove()), "tripped");
        assertTrue(Poll.until(2_000, () -> robot.console().contains("board 'mcu' disconnected")), robot.console());
        String reset = robot.gogo("robot:reset");
        assertTrue(reset.contains("cannot reset") && reset.contains("'mcu'"), "nothing moves while the board is gone: " + reset);

        line.restart(); // plugged in again: same device names, a new pty pair
        mcu = McuSimulator.open(line.device().toString());
        assertTrue(Poll.until(10_000, () -> robot.gogo("robot:reset").contains("motion is allowed")),
                "the link came back without a restart: " + robot.gogo("robot:status"));
        robot.gogo("robot:setpoint left 8");
        assertTrue(Poll.until(5_000, () -> Math.abs(mcu.wheelSpeed(0) - 8) < 0.5), "driving again: " + mcu.wheelSpeed(0));
    }
}
