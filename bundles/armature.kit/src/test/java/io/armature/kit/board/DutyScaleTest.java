package io.armature.kit.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DutyScaleTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 10, 12, 16, 20})
    void offStaysOffAndFullStaysFull(int bits) {
        assertEquals(0, DutyScale.toHardware(0, bits));
        assertEquals((1 << bits) - 1, DutyScale.toHardware(65535, bits));
        assertEquals(0, DutyScale.fromHardware(0, bits));
        assertEquals(65535, DutyScale.fromHardware((1 << bits) - 1, bits));
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 10, 16})
    void everyDutyGoesToTheNearestStepAndTheMappingIsMonotonic(int bits) {
        int max = (1 << bits) - 1;
        int previous = 0;
        for (int duty = 0; duty <= 65535; duty++) {
            int hw = DutyScale.toHardware(duty, bits);
            assertTrue(hw >= previous, "monotonic at " + duty);
            double exact = duty * (double) max / 65535;
            assertTrue(Math.abs(hw - exact) <= 0.5, bits + " bits: duty " + duty + " -> " + hw + ", exact " + exact);
            previous = hw;
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 10, 16})
    void everyHardwareStepSurvivesTheRoundTrip(int bits) {
        for (int hw = 0; hw < (1 << bits); hw++) {
            assertEquals(hw, DutyScale.toHardware(DutyScale.fromHardware(hw, bits), bits));
        }
    }

    @Test
    void documentedFigures() {
        // half of 16 bits on the ESP32-C3's 10-bit LEDC and an 8-bit timer
        assertEquals(512, DutyScale.toHardware(32768, 10));
        assertEquals(128, DutyScale.toHardware(32768, 8));
        // below half a step of 8 bits is off; from half a step on it is one step
        assertEquals(0, DutyScale.toHardware(128, 8));
        assertEquals(1, DutyScale.toHardware(129, 8));
        // 16 bits is the identity
        assertEquals(12345, DutyScale.toHardware(12345, 16));
        // sysfs PWM: 20 kHz period of 50000 ns
        assertEquals(0, DutyScale.toNanos(0, 50_000));
        assertEquals(50_000, DutyScale.toNanos(65535, 50_000));
        assertEquals(25_000, DutyScale.toNanos(32768, 50_000));
    }

    @Test
    void outOfRangeIsRefusedWithTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DutyScale.toHardware(65536, 10));
        assertEquals("duty must be 0..65535, was 65536", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DutyScale.toHardware(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> DutyScale.toHardware(1, 0));
        assertThrows(IllegalArgumentException.class, () -> DutyScale.fromHardware(1024, 10));
        assertThrows(IllegalArgumentException.class, () -> DutyScale.toNanos(1, 0));
    }
}
