package io.armature.board.pi4j.internal;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import io.armature.hal.I2cBus;

/**
 * A TI ADS1115 16-bit delta-sigma ADC on an I2C bus, read single-ended (AINx against GND).
 *
 * <p>Per the datasheet (SBAS444): register 0 holds the last conversion, a signed 16-bit
 * two's-complement code, big-endian; register 1 is the config: OS (bit 15: write 1 to start a
 * single-shot conversion, reads 1 when no conversion is in progress), MUX (14:12, {@code 1xx}
 * for AINx against GND), PGA (11:9, full-scale range ±6.144/4.096/2.048/1.024/0.512/0.256 V),
 * MODE (8: 1 single-shot, 0 continuous), DR (7:5, 8..860 samples/s) and the comparator (4:0,
 * {@code 00011} disables it). One code is FSR/32768: {@code mV = code * FSR_mV / 32768}.
 *
 * <p>Single-shot: write the config with OS set, wait one conversion time (1/DR), then poll OS
 * until the chip reports the conversion done, then read register 0. Continuous: the chip
 * converts all the time; after the input or range changes, the next result is ready after two
 * conversion times (the conversion running when the config was written is discarded).
 * Thread-safe: one conversion at a time per chip.
 */
final class Ads1115 {

    static final int REG_CONVERSION = 0;
    static final int REG_CONFIG = 1;
    static final int OS = 0x8000;
    static final int MODE_SINGLE_SHOT = 0x0100;
    static final int COMPARATOR_OFF = 0x0003;

    /** Full-scale ranges in mV, by PGA code. */
    static final List<Integer> FULL_SCALE_MV = List.of(6144, 4096, 2048, 1024, 512, 256);

    /** Data rates in samples/s, by DR code. */
    static final List<Integer> DATA_RATES = List.of(8, 16, 32, 64, 128, 250, 475, 860);

    enum Mode {
        SINGLE, CONTINUOUS
    }

    private final I2cBus bus;
    private final int address;
    private final Mode mode;
    private final int dataRate;
    private final long conversionNanos;
    private final byte[] buffer = new byte[2];
    /** The config last written in continuous mode, -1 before the first. */
    private int continuousConfig = -1;
    private long continuousReadyAt;

    /**
     * @param dataRate samples per second, one of {@link #DATA_RATES}
     */
    Ads1115(I2cBus bus, int address, Mode mode, int dataRate) {
        this.bus = bus;
        this.address = address;
        this.mode = mode;
        this.dataRate = dataRate;
        checkDataRate(dataRate);
        this.conversionNanos = (1_000_000_000L + dataRate - 1) / dataRate;
    }

    static void checkFullScale(int fullScaleMillivolts) {
        if (!FULL_SCALE_MV.contains(fullScaleMillivolts)) {
            throw new IllegalArgumentException("ADS1115 full-scale range must be one of " + FULL_SCALE_MV + " mV, was " + fullScaleMillivolts);
        }
    }

    static void checkDataRate(int samplesPerSecond) {
        if (!DATA_RATES.contains(samplesPerSecond)) {
            throw new IllegalArgumentException("ADS1115 data rate must be one of " + DATA_RATES + " samples/s, was " + samplesPerSecond);
        }
    }

    /**
     * @param input            0..3, the single-ended input AINx
     * @param fullScaleMillivolts one of {@link #FULL_SCALE_MV}
     * @param startSingleShot  set OS: start a single-shot conversion
     * @return the config register value
     */
    static int config(int input, int fullScaleMillivolts, Mode mode, int dataRate, boolean startSingleShot) {
        if (input < 0 || input > 3) {
            throw new IllegalArgumentException("ADS1115 input must be 0..3 (AIN0..AIN3), was " + input);
        }
        checkFullScale(fullScaleMillivolts);
        checkDataRate(dataRate);
        int c = (0b100 | input) << 12;
        c |= FULL_SCALE_MV.indexOf(fullScaleMillivolts) << 9;
        c |= DATA_RATES.indexOf(dataRate) << 5;
        c |= COMPARATOR_OFF;
        if (mode == Mode.SINGLE) {
            c |= MODE_SINGLE_SHOT;
            if (startSingleShot) {
                c |= OS;
            }
        }
        return c;
    }

    /** @return the code scaled by the full-scale range, rounded to the nearest mV */
    static int millivolts(int code, int fullScaleMillivolts) {
        return (int) Math.round(code * (double) fullScaleMillivolts / 32768.0);
    }

    int address() {
        return address;
    }

    /**
     * Converts one input.
     *
     * @return the voltage at AIN{@code input} against GND in mV, within ±full scale
     * @throws IOException when the chip does not answer or does not finish a conversion in time
     */
    synchronized int readMillivolts(int input, int fullScaleMillivolts) throws IOException {
        return millivolts(readCode(input, fullScaleMillivolts), fullScaleMillivolts);
    }

    /** @return the signed 16-bit conversion result */
    synchronized int readCode(int input, int fullScaleMillivolts) throws IOException {
        if (mode == Mode.SINGLE) {
            writeConfig(config(input, fullScaleMillivolts, mode, dataRate, true));
            awaitConversion();
        } else {
            int wanted = config(input, fullScaleMillivolts, mode, dataRate, false);
            if (wanted != continuousConfig) {
                writeConfig(wanted);
                continuousConfig = wanted;
                continuousReadyAt = System.nanoTime() + 2 * conversionNanos;
            }
            sleepUntil(continuousReadyAt);
        }
        bus.readRegister(address, REG_CONVERSION, buffer, 0, 2);
        return (short) (((buffer[0] & 0xFF) << 8) | (buffer[1] & 0xFF));
    }

    private void writeConfig(int config) throws IOException {
        buffer[0] = (byte) (config >>> 8);
        buffer[1] = (byte) config;
        bus.writeRegister(address, REG_CONFIG, buffer, 0, 2);
    }

    private void awaitConversion() throws IOException {
        long start = System.nanoTime();
        // The internal oscillator is within ±10 %: three conversion times and 10 ms is ample. A
        // loaded host may sleep past that between polls, so also poll a few times before giving up.
        long deadline = start + 3 * conversionNanos + 10_000_000L;
        sleepUntil(start + conversionNanos);
        for (int polls = 1;; polls++) {
            bus.readRegister(address, REG_CONFIG, buffer, 0, 2);
            if ((buffer[0] & 0x80) != 0) {
                return;
            }
            if (polls >= 10 && System.nanoTime() - deadline > 0) {
                throw new IOException(String.format("ADS1115 at 0x%02X finished no conversion within %d ms", address,
                        (deadline - start) / 1_000_000));
            }
            LockSupport.parkNanos(Math.max(50_000L, conversionNanos / 20));
        }
    }

    private static void sleepUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
