package io.armature.board.sim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DcMotorSimTest {

    private static void run(DcMotorSim m, double seconds) {
        for (int i = 0; i < Math.round(seconds / 1e-4); i++) {
            m.step(1e-4);
        }
    }

    @Test
    void settlesAtTheNoLoadSpeedOfItsVoltage() {
        DcMotorSim m = DcMotorSim.roverWheel();
        m.setVoltage(12.0);
        run(m, 1.0);
        double expected = m.noLoadSpeed(12.0);
        assertTrue(expected > 25 && expected < 40, "a 300 rpm wheel motor, got " + expected);
        assertEquals(expected, m.speed(), expected * 0.01);
    }

    @Test
    void inertiaGivesAFirstOrderRiseWithItsTimeConstant() {
        DcMotorSim m = DcMotorSim.roverWheel();
        m.setVoltage(12.0);
        run(m, m.timeConstant());
        // 1 - 1/e of the final speed after one time constant
        assertEquals(0.632 * m.noLoadSpeed(12.0), m.speed(), 0.03 * m.noLoadSpeed(12.0));
    }

    @Test
    void stictionHoldsTheWheelAtALowVoltage() {
        DcMotorSim m = DcMotorSim.roverWheel();
        m.setVoltage(0.1); // 0.35 * 0.1 / 2 = 0.0175 N·m stall torque, below 0.03 N·m friction
        run(m, 0.5);
        assertEquals(0.0, m.speed());
        assertEquals(0.0, m.angle());
    }

    @Test
    void loadSlowsTheWheelAndReverseVoltageTurnsItBackwards() {
        DcMotorSim free = DcMotorSim.roverWheel();
        DcMotorSim loaded = DcMotorSim.roverWheel();
        loaded.setLoadTorque(0.5);
        free.setVoltage(-12);
        loaded.setVoltage(-12);
        run(free, 1.0);
        run(loaded, 1.0);
        assertTrue(free.speed() < 0);
        assertTrue(Math.abs(loaded.speed()) < Math.abs(free.speed()) * 0.8,
                "0.5 N·m should cost well over 20% of speed: " + loaded.speed() + " vs " + free.speed());
    }

    @Test
    void brakeStopsAndHoldsTheWheel() {
        DcMotorSim m = DcMotorSim.roverWheel();
        m.setVoltage(12);
        run(m, 0.5);
        m.setBrake(true);
        run(m, 0.5);
        assertEquals(0.0, m.speed());
        double angle = m.angle();
        run(m, 0.5);
        assertEquals(angle, m.angle(), "a braked wheel does not creep with voltage applied");
    }

    @Test
    void rejectsNonPhysicalParameters() {
        assertThrows(IllegalArgumentException.class, () -> new DcMotorSim(0, 1, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new DcMotorSim(1, Double.NaN, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> DcMotorSim.roverWheel().setLoadTorque(-1));
    }
}
