package io.armature.control.pid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.armature.control.PidGains;

class PidControllerTest {

    private static final double DT = 0.001;

    @Test
    void proportionalIntegralAndFeedForwardAddUp() {
        PidController pid = new PidController(new PidGains(2, 10, 0, 0.1, 0.5), -100, 100, 0, 0.2);
        double out = pid.calculate(4, 3, DT);
        // p = 2·1, i = 10·1·0.001, ff = 0.1·sign(4) + 0.5·4
        assertEquals(2 + 0.01 + 0.1 + 2.0, out, 1e-12);
    }

    @Test
    void aSetpointStepGivesNoDerivativeKick() {
        PidController pid = new PidController(PidGains.of(0, 0, 1), -1e6, 1e6, 0, 0.2);
        pid.calculate(0, 5, DT);
        assertEquals(0.0, pid.calculate(100, 5, DT), "derivative acts on the measurement only");
        assertEquals(-1.0 / DT, pid.calculate(100, 6, DT), 1e-9, "a rising measurement pushes back");
    }

    @Test
    void derivativeFilterSmoothsANoisyMeasurement() {
        PidController raw = new PidController(PidGains.of(0, 0, 1), -1e9, 1e9, 0, 0.2);
        PidController filtered = new PidController(PidGains.of(0, 0, 1), -1e9, 1e9, 0.01, 0.2);
        raw.calculate(0, 0, DT);
        filtered.calculate(0, 0, DT);
        double r = raw.calculate(0, 1, DT);
        double f = filtered.calculate(0, 1, DT);
        assertEquals(-1000, r, 1e-9);
        assertEquals(-1000 * DT / (0.01 + DT), f, 1e-9, "first-order filter with a 10 ms time constant");
    }

    @Test
    void integralDoesNotWindUpWhileSaturated() {
        PidController pid = new PidController(PidGains.of(0.1, 5, 0), -1, 1, 0, 0.2);
        for (int i = 0; i < 5000; i++) {
            assertTrue(pid.calculate(100, 0, DT) <= 1.0);
        }
        assertTrue(pid.integralTerm() <= 1.0, "integral term within the output limits: " + pid.integralTerm());
        // The error reverses: a wound-up integrator would hold the output at +1 for seconds.
        double out = 0;
        for (int i = 0; i < 300; i++) {
            out = pid.calculate(0, 10, DT);
        }
        assertTrue(out < 0, "output follows the reversed error within 0.3 s: " + out);
    }

    @Test
    void gainChangeIsBumpless() {
        PidController pid = new PidController(new PidGains(0.05, 1, 0, 0, 0.02), -1, 1, 0, 0.2);
        double last = 0;
        for (int i = 0; i < 500; i++) {
            last = pid.calculate(20, 15, DT);
        }
        pid.setGains(new PidGains(0.2, 3, 0, 0, 0.02)); // four times the kp: the P term alone would jump by 0.75
        double next = pid.calculate(20, 15, DT);
        assertEquals(last, next, 0.01, "no jump at the gain change");
        double after = pid.calculate(20, 16, DT);
        // the new kp: 1 rad/s less error is 0.2 less output; the new ki integrates 3·4·0.001 more
        assertEquals(next - 0.2 + 0.012, after, 1e-9, "and the new gains are in force");
    }

    @Test
    void gainChangeWithoutIntegralRampsTheDifferenceOut() {
        PidController pid = new PidController(PidGains.of(0.1, 0, 0), -1, 1, 0, 0.2);
        double before = pid.calculate(5, 0, DT);
        assertEquals(0.5, before, 1e-12);
        pid.setGains(PidGains.of(0.02, 0, 0));
        assertEquals(0.5, pid.calculate(5, 0, DT), 1e-9, "continues from 0.5");
        double out = 0;
        for (int i = 0; i < 250; i++) {
            out = pid.calculate(5, 0, DT);
        }
        assertEquals(0.1, out, 1e-9, "after the 0.2 s ramp the new kp alone");
    }

    @Test
    void resetHandsOverFromAnotherControllersOutput() {
        PidController pid = new PidController(PidGains.of(0.1, 2, 0), -1, 1, 0, 0.2);
        pid.reset(0.7);
        assertEquals(0.7, pid.calculate(10, 9, DT), 1e-9);
    }

    @Test
    void aHandOverAtTheOutputLimitIsBumpless() {
        PidController pid = new PidController(PidGains.of(0.1, 2, 0), -1, 1, 0, 0.2);
        pid.reset(1.0); // the other controller left the output saturated
        // the measurement is 8 above the setpoint: p = -0.8, so the integral would need 1.8 to carry 1.0
        double first = pid.calculate(10, 18, DT);
        double integralAtHandOver = pid.integralTerm();
        double second = pid.calculate(10, 18, DT);
        assertEquals(1.0, first, 1e-9, "continues from the handed-over output");
        // per cycle: the integral moves 2·(-8)·0.001 = -0.016, the hand-over rest ramps 0.8 out over 0.2 s, 0.004
        assertEquals(first - 0.016 - 0.004, second, 1e-9, "no step down to p + the clamped integral (0.2)");
        assertEquals(1.0, integralAtHandOver, 1e-9, "the integral term is clamped in the hand-over cycle, not one later");
        double previous = second;
        for (int i = 0; i < 300; i++) {
            double out = pid.calculate(10, 18, DT);
            assertTrue(previous - out <= 0.02 + 1e-9 && out <= previous, "cycle " + i + ": " + previous + " -> " + out);
            assertTrue(pid.integralTerm() >= -1.0 && pid.integralTerm() <= 1.0, "integral term within the output limits");
            previous = out;
        }
        assertEquals(-1.0, previous, 1e-9, "and the loop then drives the error down, to the limit");
    }

    @Test
    void disablingResetsTheIntegralAndOutputsZero() {
        PidController pid = new PidController(PidGains.of(0, 10, 0), -10, 10, 0, 0.2);
        for (int i = 0; i < 100; i++) {
            pid.calculate(1, 0, DT);
        }
        assertTrue(pid.integralTerm() > 0.9);
        pid.setEnabled(false);
        assertEquals(0.0, pid.calculate(1, 0, DT));
        assertEquals(0.0, pid.integralTerm());
        pid.setEnabled(true);
        assertEquals(0.01, pid.calculate(1, 0, DT), 1e-12, "starts again from an empty integral");
    }

    @Test
    void continuousInputTakesTheShortWayRound() {
        PidController pid = new PidController(PidGains.of(1, 0, 0), -10, 10, 0, 0.2);
        pid.enableContinuousInput(-Math.PI, Math.PI);
        assertEquals(-0.2, pid.calculate(Math.PI - 0.1, -Math.PI + 0.1, DT), 1e-9);
    }

    @Test
    void badArgumentsAreRefusedWithAReason() {
        assertEquals("kp must be a finite number of at least 0, was -1.0",
                assertThrows(IllegalArgumentException.class, () -> PidGains.of(-1, 0, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> PidGains.of(Double.NaN, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PidController(PidGains.of(1, 0, 0), 1, -1, 0, 0.2));
        PidController pid = new PidController(PidGains.of(1, 0, 0), -1, 1, 0, 0.2);
        assertThrows(IllegalArgumentException.class, () -> pid.calculate(Double.NaN, 0, DT));
        assertThrows(IllegalArgumentException.class, () -> pid.calculate(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> pid.calculate(0, 0, -DT));
    }
}
