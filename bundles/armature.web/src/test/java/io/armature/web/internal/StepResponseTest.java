package io.armature.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;

import org.junit.jupiter.api.Test;

class StepResponseTest {

    private static final double DT = 0.001;

    /** Samples {@code f} every millisecond for {@code seconds}. */
    private static StepResponse record(double initial, double target, double seconds, DoubleUnaryOperator f) {
        int n = (int) Math.round(seconds / DT);
        double[] t = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = i * DT;
            y[i] = f.applyAsDouble(t[i]);
        }
        return StepResponse.of(initial, target, t, y);
    }

    @Test
    void aFirstOrderLagRisesIn2Point2TimeConstantsWithoutOvershootAndSettlesIn3Point9() {
        double tau = 0.1;
        StepResponse r = record(0, 10, 2, t -> 10 * (1 - Math.exp(-t / tau)));
        assertEquals(tau * Math.log(9), r.riseSeconds(), 2 * DT); // ln(0.9/0.1) time constants
        assertEquals(0, r.overshootPercent(), 1e-9);
        assertEquals(tau * Math.log(50), r.settlingSeconds(), 2 * DT); // within 2 %: e^(-t/tau) = 0.02
        assertEquals(10, r.finalValue(), 1e-3);
        assertEquals(0, r.steadyStateErrorPercent(), 1e-2);
    }

    @Test
    void anUnderdampedSecondOrderStepOvershootsAsTheFormulaSays() {
        double zeta = 0.3;
        double wn = 20;
        double wd = wn * Math.sqrt(1 - zeta * zeta);
        double phi = Math.acos(zeta);
        StepResponse r = record(5, 15, 3, t -> 5 + 10 * (1 - Math.exp(-zeta * wn * t) / Math.sqrt(1 - zeta * zeta) * Math.sin(wd * t + phi)));
        double expectedOvershoot = 100 * Math.exp(-Math.PI * zeta / Math.sqrt(1 - zeta * zeta));
        assertEquals(expectedOvershoot, r.overshootPercent(), 0.1);
        // the 2 % settling time of a second-order system is about 4 / (zeta wn)
        assertEquals(4 / (zeta * wn), r.settlingSeconds(), 0.15);
        assertTrue(r.riseSeconds() > 0 && r.riseSeconds() < 0.1, "rise " + r.riseSeconds());
    }

    @Test
    void aDownwardStepIsMeasuredTheSameWay() {
        double tau = 0.05;
        StepResponse r = record(20, 10, 1, t -> 10 + 10 * Math.exp(-t / tau));
        assertEquals(tau * Math.log(9), r.riseSeconds(), 2 * DT);
        assertEquals(0, r.overshootPercent(), 1e-9);
    }

    @Test
    void aLoopThatStopsShortHasASteadyStateErrorAndNeverSettles() {
        StepResponse r = record(0, 10, 1, t -> 7 * (1 - Math.exp(-t / 0.05)));
        assertTrue(Double.isNaN(r.riseSeconds()), "never reached 90 %");
        assertTrue(Double.isNaN(r.settlingSeconds()), "never settled");
        assertEquals(7, r.finalValue(), 1e-3);
        assertEquals(30, r.steadyStateErrorPercent(), 0.01);
    }

    @Test
    void badRecordsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> StepResponse.of(3, 3, new double[] {0, 1}, new double[] {3, 3}));
        assertThrows(IllegalArgumentException.class, () -> StepResponse.of(0, 1, new double[] {0}, new double[] {0}));
        assertThrows(IllegalArgumentException.class, () -> StepResponse.of(0, 1, new double[] {0, 1}, new double[] {0, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> StepResponse.of(0, 1, new double[] {1, 0}, new double[] {0, 1}));
    }
}
