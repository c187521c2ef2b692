package io.armature.sensors.internal;

import java.io.IOException;
import java.util.Arrays;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.hal.Board;
import io.armature.hal.I2cBus;
import io.armature.sensor.ImuSample;
import io.armature.kit.stream.BroadcastStream;

/**
 * An MPU-6050 6-axis IMU on an I2C bus of any board (the simulated rover has one on
 * {@code i2c.1}), read at a fixed rate into a {@link BroadcastStream} of {@link ImuSample}s in
 * SI units. A reading that is saturated (at full scale), not finite, or jumps beyond the
 * configured change per sample is published flagged invalid and counted, never as valid.
 */
@Component(service = {}, immediate = true, configurationPid = Mpu6050Source.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Mpu6050Source.Config.class, factory = true)
public final class Mpu6050Source {

    public static final String FACTORY_PID = "armature.sensors.mpu6050";
    static final int WHO_AM_I = 0x75;
    static final int PWR_MGMT_1 = 0x6B;
    static final int GYRO_CONFIG = 0x1B;
    static final int ACCEL_CONFIG = 0x1C;
    static final int ACCEL_XOUT_H = 0x3B;
    static final double G = 9.80665;
    /** MPU-6050 datasheet, gyro sensitivity per FS_SEL 0..3, LSB per °/s. */
    static final double[] GYRO_LSB_PER_DPS = {131, 65.5, 32.8, 16.4};

    @ObjectClassDefinition(name = "Armature MPU-6050 IMU", description = "A 6-axis IMU read over I2C into a sample stream.")
    public @interface Config {
        @AttributeDefinition(name = "Stream name", description = "Name of the stream, also the armature.stream service property.")
        String armature_stream() default "imu";

        @AttributeDefinition(name = "Board filter", description = "LDAP filter selecting the board whose bus the IMU is on.")
        String board_target() default "(armature.board=sim)";

        @AttributeDefinition(name = "I2C bus", description = "Channel name of the bus.")
        String bus() default "i2c.1";

        @AttributeDefinition(name = "Address", description = "7-bit I2C address: 104 (0x68) or 105 (0x69).")
        int address() default 0x68;

        @AttributeDefinition(name = "Rate (Hz)", description = "Samples per second, 1..8000.")
        int rateHz() default 1000;

        @AttributeDefinition(name = "Gyro range (°/s)", description = "Full scale: 250, 500, 1000 or 2000.")
        int gyroRangeDps() default 1000;

        @AttributeDefinition(name = "Accelerometer range (g)", description = "Full scale: 2, 4, 8 or 16.")
        int accelRangeG() default 4;

        @AttributeDefinition(name = "Largest gyro change (rad/s per sample)", description = "A bigger jump between samples is a spike: flagged invalid.")
        double maxGyroStep() default 5.0;

        @AttributeDefinition(name = "Largest acceleration change (m/s² per sample)", description = "A bigger jump between samples is a spike: flagged invalid.")
        double maxAccelStep() default 20.0;
    }

    private final BroadcastStream<ImuSample> stream;
    private final I2cBus bus;
    private final int address;
    private final double gyroScale;   // rad/s per LSB
    private final double accelScale;  // m/s² per LSB
    private final double gyroLimit;   // rad/s: readings at full scale are saturated
    private final double accelLimit;
    private final double maxGyroStep;
    private final double maxAccelStep;
    private final byte[] raw = new byte[14];
    private final ImuSample previous = new ImuSample();
    private boolean havePrevious;
    private final SampledStream<ImuSample> source;
    private volatile long readErrors;

    @Activate
    public Mpu6050Source(Config config, @Reference(name = "board") Board board, BundleContext context) throws IOException {
        this(config, board, context, true);
    }

    /** @param ownThread false in unit tests, which call {@link #sample(long)} themselves */
    Mpu6050Source(Config config, Board board, BundleContext context, boolean ownThread) throws IOException {
        String name = SampledStream.checkName(config.armature_stream());
        SampledStream.checkRate("IMU '" + name + "': ", config.rateHz(), 8000);
        if (config.address() != 0x68 && config.address() != 0x69) {
            throw new IllegalArgumentException("IMU '" + name + "': an MPU-6050 answers at 0x68 or 0x69, not 0x" + Integer.toHexString(config.address()));
        }
        int gyroSel = select("gyroRangeDps", config.gyroRangeDps(), 250, 500, 1000, 2000);
        int accelSel = select("accelRangeG", config.accelRangeG(), 2, 4, 8, 16);
        if (!(config.maxGyroStep() > 0) || !(config.maxAccelStep() > 0)) {
            throw new IllegalArgumentException("IMU '" + name + "': maxGyroStep and maxAccelStep must be above 0");
        }
        this.bus = board.channel(config.bus(), I2cBus.class);
        this.address = config.address();
        this.gyroScale = Math.toRadians(1.0 / GYRO_LSB_PER_DPS[gyroSel]); // the datasheet's sensitivities, as the part is trimmed
        this.accelScale = config.accelRangeG() * G / 32768.0;
        this.gyroLimit = 32767 * gyroScale;
        this.accelLimit = 32767 * accelScale;
        this.maxGyroStep = config.maxGyroStep();
        this.maxAccelStep = config.maxAccelStep();

        byte[] b = new byte[1];
        bus.readRegister(address, WHO_AM_I, b, 0, 1);
        if ((b[0] & 0x7E) != 0x68) {
            throw new IllegalStateException(String.format("IMU '%s': no MPU-6050 at 0x%02X on %s (WHO_AM_I answered 0x%02X)", name, address,
                    config.bus(), b[0] & 0xFF));
        }
        bus.writeRegister(address, PWR_MGMT_1, new byte[] {0x01}, 0, 1); // awake, clock from the X gyro PLL
        bus.writeRegister(address, GYRO_CONFIG, new byte[] {(byte) (gyroSel << 3)}, 0, 1);
        bus.writeRegister(address, ACCEL_CONFIG, new byte[] {(byte) (accelSel << 3)}, 0, 1);

        this.source = new SampledStream<>(name, config.rateHz(), ImuSample::new, context, "armature-imu-" + name, this::sample);
        this.stream = source.stream();
        if (ownThread) {
            source.start();
        }
    }

    private static int select(String what, int value, int... allowed) {
        for (int i = 0; i < allowed.length; i++) {
            if (allowed[i] == value) {
                return i;
            }
        }
        throw new IllegalArgumentException(what + " must be one of " + Arrays.toString(allowed) + ", was " + value);
    }

    @Deactivate
    void deactivate() {
        source.end();
    }

    /** Reads one sample and publishes it. Package-private for tests that step it themselves. */
    void sample(long timestampNanos) {
        ImuSample s = stream.claim();
        s.timestampNanos = timestampNanos;
        try {
            bus.readRegister(address, ACCEL_XOUT_H, raw, 0, 14);
        } catch (IOException | RuntimeException e) {
            readErrors++;
            s.valid = false;
            s.accelX = s.accelY = s.accelZ = s.gyroX = s.gyroY = s.gyroZ = Double.NaN;
            havePrevious = false; // nothing to compare the next reading with
            stream.publish();
            return;
        }
        s.accelX = word(0) * accelScale;
        s.accelY = word(2) * accelScale;
        s.accelZ = word(4) * accelScale;
        s.gyroX = word(8) * gyroScale;
        s.gyroY = word(10) * gyroScale;
        s.gyroZ = word(12) * gyroScale;
        s.valid = check(s);
        // the next reading is compared with this one, valid or not: a spike flags its jump and its
        // return, while a real change of level flags one sample and does not keep the stream invalid
        previous.copyFrom(s);
        havePrevious = true;
        stream.publish();
    }

    private boolean check(ImuSample s) {
        if (!finiteWithin(s.accelX, accelLimit) || !finiteWithin(s.accelY, accelLimit) || !finiteWithin(s.accelZ, accelLimit)
                || !finiteWithin(s.gyroX, gyroLimit) || !finiteWithin(s.gyroY, gyroLimit) || !finiteWithin(s.gyroZ, gyroLimit)) {
            return false; // not a number, or saturated at full scale: the true value is unknown
        }
        if (havePrevious) {
            if (Math.abs(s.gyroX - previous.gyroX) > maxGyroStep || Math.abs(s.gyroY - previous.gyroY) > maxGyroStep
                    || Math.abs(s.gyroZ - previous.gyroZ) > maxGyroStep || Math.abs(s.accelX - previous.accelX) > maxAccelStep
                    || Math.abs(s.accelY - previous.accelY) > maxAccelStep || Math.abs(s.accelZ - previous.accelZ) > maxAccelStep) {
                return false; // a spike beyond what the sensor can physically do between samples
            }
        }
        return true;
    }

    private static boolean finiteWithin(double v, double limit) {
        return Double.isFinite(v) && Math.abs(v) < limit;
    }

    private int word(int offset) {
        return (short) (((raw[offset] & 0xFF) << 8) | (raw[offset + 1] & 0xFF));
    }

    BroadcastStream<ImuSample> stream() {
        return stream;
    }

    long readErrors() {
        return readErrors;
    }
}
