package io.armature.board.sim.internal;

import java.util.Random;

/**
 * The simulated differential-drive rover: two wheel motors fed from a battery through PWM, a
 * quadrature encoder per wheel, an MPU-6050 IMU that feels the rover's motion, and the
 * battery's voltage. Pure model: time only advances through {@link #step(long)}, so a test that
 * steps it gets the same result every run for the same seed.
 *
 * <p>Not thread-safe: the owner serializes commands and steps.
 */
public final class RoverPlant {

    /** Physical constants of the rover; each can be checked against a hand calculation. */
    public static final double WHEEL_RADIUS_M = 0.04;
    public static final double TRACK_WIDTH_M = 0.20;
    public static final double BATTERY_FULL_V = 12.6;
    public static final double BATTERY_EMPTY_V = 9.9;
    public static final double BATTERY_INTERNAL_OHM = 0.08;
    public static final double BATTERY_CAPACITY_AH = 2.0;
    public static final double IDLE_CURRENT_A = 0.3;
    /** Internal integration step; plant steps are split into substeps no longer than this. */
    public static final long SUBSTEP_NANOS = 100_000;

    public final DcMotorSim left = DcMotorSim.roverWheel();
    public final DcMotorSim right = DcMotorSim.roverWheel();
    public final QuadratureEncoderSim leftEncoder;
    public final QuadratureEncoderSim rightEncoder;
    public final Mpu6050Sim imu = new Mpu6050Sim();

    private final Random random;
    private double gyroNoise;
    private double gyroBias;
    private double accelNoise;
    private double accelBias;

    // commands
    private final double[] duty = new double[2];       // 0..1
    private final boolean[] reverse = new boolean[2];
    private final boolean[] brake = {true, true};

    // state
    private long timeNanos;
    private double stateOfCharge = 1.0;
    private double batteryVolts = BATTERY_FULL_V;
    private double x, y, heading, forwardSpeed, yawRate, forwardAccel;
    private double trueGyroZ, measuredGyroZ, measuredAccelX;

    private QuadratureEncoderSim.EdgeSink leftSink = (b, l, t) -> { };
    private QuadratureEncoderSim.EdgeSink rightSink = (b, l, t) -> { };

    public RoverPlant(long seed, int encoderCountsPerRevolution) {
        this.random = new Random(seed);
        this.leftEncoder = new QuadratureEncoderSim(encoderCountsPerRevolution);
        this.rightEncoder = new QuadratureEncoderSim(encoderCountsPerRevolution);
    }

    /** Sets IMU noise (standard deviations) and constant biases: gyro in rad/s, accelerometer in m/s². */
    public void setImuErrors(double gyroNoise, double gyroBias, double accelNoise, double accelBias) {
        this.gyroNoise = DcMotorSim.requireNonNegative(gyroNoise, "gyroNoise");
        this.gyroBias = gyroBias;
        this.accelNoise = DcMotorSim.requireNonNegative(accelNoise, "accelNoise");
        this.accelBias = accelBias;
    }

    /** Sets the external load on each wheel, N·m. */
    public void setLoadTorque(double newtonMetres) {
        left.setLoadTorque(newtonMetres);
        right.setLoadTorque(newtonMetres);
    }

    /** Receives encoder signal edges during {@link #step(long)}. */
    public void setEncoderSinks(QuadratureEncoderSim.EdgeSink leftSink, QuadratureEncoderSim.EdgeSink rightSink) {
        this.leftSink = leftSink;
        this.rightSink = rightSink;
    }

    /**
     * @param wheel   0 left, 1 right
     * @param dutyFraction 0..1
     */
    public void setDuty(int wheel, double dutyFraction) {
        duty[wheel] = Math.max(0.0, Math.min(1.0, dutyFraction));
    }

    public void setReverse(int wheel, boolean reversed) {
        reverse[wheel] = reversed;
    }

    public void setBrake(int wheel, boolean on) {
        brake[wheel] = on;
    }

    /** Advances the plant by {@code nanos} of simulated time. */
    public void step(long nanos) {
        if (nanos <= 0) {
            return;
        }
        long remaining = nanos;
        while (remaining > 0) {
            long sub = Math.min(SUBSTEP_NANOS, remaining);
            substep(sub);
            remaining -= sub;
        }
        updateImu();
    }

    private void substep(long nanos) {
        double dt = nanos * 1e-9;
        double previousForward = forwardSpeed;
        left.setBrake(brake[0]);
        right.setBrake(brake[1]);
        left.setVoltage(batteryVolts * duty[0] * (reverse[0] ? -1 : 1));
        right.setVoltage(batteryVolts * duty[1] * (reverse[1] ? -1 : 1));
        left.step(dt);
        right.step(dt);

        long from = timeNanos;
        timeNanos += nanos;
        leftEncoder.moveTo(left.angle(), from, timeNanos, leftSink);
        rightEncoder.moveTo(right.angle(), from, timeNanos, rightSink);

        forwardSpeed = WHEEL_RADIUS_M * (left.speed() + right.speed()) / 2;
        yawRate = WHEEL_RADIUS_M * (right.speed() - left.speed()) / TRACK_WIDTH_M;
        forwardAccel = (forwardSpeed - previousForward) / dt;
        heading += yawRate * dt;
        x += forwardSpeed * Math.cos(heading) * dt;
        y += forwardSpeed * Math.sin(heading) * dt;

        double current = Math.abs(left.current()) + Math.abs(right.current()) + IDLE_CURRENT_A;
        stateOfCharge = Math.max(0.0, stateOfCharge - current * dt / (BATTERY_CAPACITY_AH * 3600));
        double openCircuit = BATTERY_EMPTY_V + (BATTERY_FULL_V - BATTERY_EMPTY_V) * stateOfCharge;
        batteryVolts = Math.max(0.0, openCircuit - BATTERY_INTERNAL_OHM * current);
    }

    private void updateImu() {
        trueGyroZ = yawRate;
        measuredGyroZ = yawRate + gyroBias + gyroNoise * random.nextGaussian();
        double gx = gyroBias + gyroNoise * random.nextGaussian();
        double gy = gyroBias + gyroNoise * random.nextGaussian();
        measuredAccelX = forwardAccel + accelBias + accelNoise * random.nextGaussian();
        double ay = forwardSpeed * yawRate + accelBias + accelNoise * random.nextGaussian(); // centripetal
        double az = 9.80665 + accelBias + accelNoise * random.nextGaussian();
        imu.update(measuredAccelX, ay, az, gx, gy, measuredGyroZ, 30.0);
    }

    /** @return simulated time since start, ns */
    public long timeNanos() {
        return timeNanos;
    }

    public double batteryVolts() {
        return batteryVolts;
    }

    public double stateOfCharge() {
        return stateOfCharge;
    }

    public double x() {
        return x;
    }

    public double y() {
        return y;
    }

    public double heading() {
        return heading;
    }

    public double forwardSpeed() {
        return forwardSpeed;
    }

    public double yawRate() {
        return yawRate;
    }

    /** @return the last gyro z reading the IMU was given, rad/s, with noise and bias */
    public double measuredGyroZ() {
        return measuredGyroZ;
    }

    /** @return the true yaw rate at the last IMU update, rad/s */
    public double trueGyroZ() {
        return trueGyroZ;
    }
}
