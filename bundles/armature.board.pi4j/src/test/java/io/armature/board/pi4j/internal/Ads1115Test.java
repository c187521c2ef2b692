package io.armature.board.pi4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;

class Ads1115Test {

    private final Ads1115Fake fake = new Ads1115Fake(0x48);

    @Test
    void theConfigWordFollowsTheDatasheet() {
        // OS=1, MUX=101 (AIN1-GND), PGA=001 (±4.096 V), MODE=1, DR=100 (128 SPS), comparator off
        assertEquals(0xD383, Ads1115.config(1, 4096, Ads1115.Mode.SINGLE, 128, true));
        // MUX=100 (AIN0), PGA=101 (±0.256 V), MODE=0 continuous, DR=111 (860 SPS), no OS
        assertEquals(0x4AE3, Ads1115.config(0, 256, Ads1115.Mode.CONTINUOUS, 860, false));
        assertThrows(IllegalArgumentException.class, () -> Ads1115.config(4, 4096, Ads1115.Mode.SINGLE, 128, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ads1115.config(0, 5000, Ads1115.Mode.SINGLE, 128, true));
        assertEquals("ADS1115 full-scale range must be one of [6144, 4096, 2048, 1024, 512, 256] mV, was 5000", e.getMessage());
    }

    @Test
    void aSignedCodeScalesByTheFullScaleRange() {
        assertEquals(0, Ads1115.millivolts(0, 4096));
        assertEquals(2048, Ads1115.millivolts(16384, 4096));
        assertEquals(-2048, Ads1115.millivolts(-32768, 2048));
        assertEquals(2048, Ads1115.millivolts(32767, 2048), "full scale less one LSB rounds to full scale");
        assertEquals(1, Ads1115.millivolts(8, 4096), "one LSB at ±4.096 V is 0.125 mV");
        assertEquals(6144, Ads1115.millivolts(32767, 6144));
    }

    @Test
    void aSingleShotReadWaitsForTheConversionAndReturnsTheNewValue() throws IOException {
        Ads1115 chip = new Ads1115(fake, 0x48, Ads1115.Mode.SINGLE, 860);
        fake.inputMillivolts[2] = 1000;
        fake.busyPolls = 3;
        assertEquals(1000, chip.readMillivolts(2, 4096));
        fake.inputMillivolts[2] = 1500;
        assertEquals(1500, chip.readMillivolts(2, 4096), "not the previous conversion");
        assertEquals(0xE3E3, fake.config, "AIN2, ±4.096 V, single-shot, 860 SPS, conversion done");
    }

    @Test
    void readingsFollowTheRangeAndSaturateAtFullScale() throws IOException {
        Ads1115 chip = new Ads1115(fake, 0x48, Ads1115.Mode.SINGLE, 860);
        fake.inputMillivolts[0] = 3300;
        assertEquals(3300, chip.readMillivolts(0, 6144));
        assertEquals(2048, chip.readMillivolts(0, 2048), "beyond ±2.048 V the code saturates");
        fake.inputMillivolts[1] = 123.4;
        assertEquals(123, chip.readMillivolts(1, 256), "±0.256 V range: 7.8 µV steps");
    }

    @Test
    void aChipThatNeverFinishesIsAClearError() {
        Ads1115 chip = new Ads1115(fake, 0x48, Ads1115.Mode.SINGLE, 860);
        fake.busyPolls = Integer.MAX_VALUE;
        IOException e = assertThrows(IOException.class, () -> chip.readMillivolts(0, 4096));
        assertTrue(e.getMessage().startsWith("ADS1115 at 0x48 finished no conversion within"), e.getMessage());
    }

    @Test
    void aMissingChipIsAnIoError() {
        Ads1115 chip = new Ads1115(fake, 0x49, Ads1115.Mode.SINGLE, 860);
        assertThrows(IOException.class, () -> chip.readMillivolts(0, 4096));
    }

    @Test
    void continuousModeWritesTheConfigOnlyWhenTheInputChanges() throws IOException {
        Ads1115 chip = new Ads1115(fake, 0x48, Ads1115.Mode.CONTINUOUS, 860);
        fake.inputMillivolts[0] = 500;
        fake.inputMillivolts[3] = 2500;
        assertEquals(500, chip.readMillivolts(0, 4096));
        fake.inputMillivolts[0] = 600;
        assertEquals(600, chip.readMillivolts(0, 4096));
        assertEquals(1, fake.configWrites, "one config write for two reads of one input");
        assertEquals(0, fake.config & 0x0100, "MODE = 0: continuous");
        assertEquals(2500, chip.readMillivolts(3, 4096));
        assertEquals(2, fake.configWrites);
    }
}
