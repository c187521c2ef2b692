package io.armature.control.pid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TrapezoidProfileTest {

    @Test
    void reachesTheGoalWithinItsLimitsAndStops() {
        TrapezoidProfile p = new TrapezoidProfile(40, 400);
        TrapezoidProfile.State s = new TrapezoidProfile.State();
        double dt = 0.001;
        double previousVelocity = 0;
        int steps = 0;
        while ((s.position != 20 || s.velocity != 0) && steps < 10_000) {
            p.step(s, 20, dt);
            assertTrue(Math.abs(s.velocity) <= 40 + 1e-9, "velocity " + s.velocity);
            assertTrue(Math.abs(s.velocity - previousVelocity) <= 400 * dt + 1e-6, "acceleration at step " + steps);
            assertTrue(s.position <= 20 + 1e-9, "no overshoot");
            previousVelocity = s.velocity;
            steps++;
        }
        assertEquals(20.0, s.position);
        // 20 at 40/s with 0.1 s ramps each end: about 0.6 s
        assertEquals(600, steps, 25);
    }

    @Test
    void reversesThroughABrake() {
        TrapezoidProfile p = new TrapezoidProfile(10, 100);
        TrapezoidProfile.State s = new TrapezoidProfile.State(0, 10);
        for (int i = 0; i < 5000 && (s.position != -5 || s.velocity != 0); i++) {
            p.step(s, -5, 0.001);
        }
        assertEquals(-5.0, s.position);
        assertEquals(0.0, s.velocity);
    }

    @Test
    void refusesLimitsThatAreNotPositive() {
        assertThrows(IllegalArgumentException.class, () -> new TrapezoidProfile(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new TrapezoidProfile(1, Double.POSITIVE_INFINITY));
    }
}
