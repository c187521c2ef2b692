package io.armature.board.mcu.simulator;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.locks.LockSupport;

import io.armature.board.mcu.protocol.FrameReader;
import io.armature.board.mcu.protocol.FrameWriter;
import io.armature.board.mcu.protocol.Frames;
import io.armature.kit.board.DutyScale;

/**
 * A microcontroller that speaks the Armature serial protocol, as firmware on an ESP32-C3 would:
 * two PWM outputs on a 10-bit LEDC timer, four GPIO outputs, one ADC input (a battery through a
 * 1:4 divider), an IMU and two wheel encoders over a small two-wheel model. It holds every output
 * safe when heartbeats stop for longer than the timeout the host asked for, and refuses to move an
 * output again until the next heartbeat.
 *
 * <p>Runs on its own against a serial device (the other end of a socat pty pair, or a real UART):
 * {@code java -cp armature.board.mcu.jar:armature.api.jar io.armature.board.mcu.simulator.McuSimulator /dev/pts/N}.
 * Tests run it in-process on a pty and read its outputs through the getters.
 */
public final class McuSimulator implements AutoCloseable {

    public static final int PWM_CHANNELS = 2;
    public static final int PWM_BITS = 10;
    public static final int GPIO_CHANNELS = 4;
    public static final int ADC_CHANNELS = 1;
    public static final String NAME = "armature-mcu-sim";

    private static final double MAX_WHEEL_SPEED = 30.0; // rad/s at full duty
    private static final double TAU = 0.05; // s
    private static final double COUNTS_PER_RADIAN = 1440 / (2 * Math.PI);
    private static final double TRACK = 0.2; // m between the wheels
    private static final double WHEEL_RADIUS = 0.04; // m

    private final InputStream in;
    private final OutputStream out;
    private final FrameReader reader = new FrameReader(this::onFrame);
    private final FrameWriter writer = new FrameWriter();
    /** Held from a frame's begin() to its write: the receive and tick threads both send. */
    private final Object tx = new Object();
    private final long startNanos = System.nanoTime();
    private final Thread rx;
    private final Thread tick;
    private volatile boolean running = true;

    // outputs, as the hardware holds them (guarded by this)
    private final int[] pwmHardware = new int[PWM_CHANNELS];
    private int gpioLevels;
    private int gpioSafeLevels;
    private boolean lapsed;
    private boolean safeCommanded = true;
    private long heartbeatDeadline = Long.MAX_VALUE;
    private boolean heartbeatSeen;
    private long heartbeats;
    private long lapses;

    // the model, on the tick thread
    private final double[] speed = new double[2];
    private final double[] angle = new double[2];
    private final long[] counts = new long[2];
    private final long[] lastEdgeMicros = new long[2];
    private volatile int imuRateHz;
    private volatile int encoderRateHz;
    private volatile boolean frozen;
    private final double[] drive = new double[2]; // the tick thread's, reused every tick

    public McuSimulator(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
        this.rx = new Thread(this::receive, "mcu-sim-rx");
        this.tick = new Thread(this::tickLoop, "mcu-sim-tick");
        rx.setDaemon(true);
        tick.setDaemon(true);
        // a firmware that crashes says so on the console rather than going quiet
        Thread.UncaughtExceptionHandler died = (t, e) -> System.err.println(NAME + ": thread " + t.getName() + " died: " + e);
        rx.setUncaughtExceptionHandler(died);
        tick.setUncaughtExceptionHandler(died);
    }

    /** Opens a serial device (a pty made raw by socat, or a UART set up beforehand) and starts. */
    public static McuSimulator open(String device) throws IOException {
        McuSimulator sim = new McuSimulator(new FileInputStream(device), new FileOutputStream(device));
        sim.start();
        return sim;
    }

    public McuSimulator start() {
        rx.start();
        tick.start();
        return this;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: McuSimulator <serial device>   (for example the pty socat made)");
            System.exit(2);
        }
        try (McuSimulator sim = open(args[0])) {
            System.out.println(NAME + " on " + args[0] + ": " + PWM_CHANNELS + " PWM (" + PWM_BITS + "-bit), " + GPIO_CHANNELS + " GPIO, "
                    + ADC_CHANNELS + " ADC, IMU, 2 encoders; outputs safe until the first heartbeat");
            boolean wasLapsed = false;
            while (sim.running) {
                Thread.sleep(50);
                boolean l = sim.lapsed();
                if (l != wasLapsed) {
                    System.out.println(l ? "heartbeat lapsed: every output safe" : "heartbeat back: outputs may move");
                    wasLapsed = l;
                }
            }
        }
    }

    private void receive() {
        byte[] buf = new byte[512];
        try {
            while (running) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                if (!frozen) {
                    reader.accept(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the line went away
        }
        synchronized (this) {
            toSafe(); // no host: no motion
        }
        running = false;
    }

    private void onFrame(int type, int seq, byte[] p, int off, int len) {
        switch (type) {
            case Frames.HELLO -> {
                if (len != 2) {
                    ack(seq, Frames.BAD_LENGTH);
                    return;
                }
                synchronized (this) {
                    gpioSafeLevels = Frames.u16(p, off) & ((1 << GPIO_CHANNELS) - 1);
                    toSafe();
                }
                synchronized (tx) { // built and sent as one: the receive and tick threads both send
                    send(writer.begin(Frames.HELLO_REPLY).u8(Frames.VERSION).u8(PWM_CHANNELS).u8(PWM_BITS).u8(GPIO_CHANNELS).u8(ADC_CHANNELS)
                            .bytes(NAME.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, NAME.length()));
                }
            }
            case Frames.HEARTBEAT -> {
                if (len != 2 || Frames.u16(p, off) == 0) {
                    ack(seq, len != 2 ? Frames.BAD_LENGTH : Frames.BAD_VALUE);
                    return;
                }
                synchronized (this) {
                    heartbeatDeadline = System.nanoTime() + Frames.u16(p, off) * 1_000_000L;
                    heartbeatSeen = true;
                    heartbeats++;
                    lapsed = false;
                }
                status();
            }
            case Frames.SET_OUTPUTS -> setOutputs(seq, p, off, len);
            case Frames.SAFE -> {
                synchronized (this) {
                    toSafe();
                }
                ack(seq, Frames.OK);
            }
            case Frames.READ_ADC -> {
                if (len != 1 || Frames.u8(p, off) >= ADC_CHANNELS) {
                    ack(seq, len != 1 ? Frames.BAD_LENGTH : Frames.BAD_CHANNEL);
                    return;
                }
                synchronized (tx) { // built and sent as one: the receive and tick threads both send
                    send(writer.begin(Frames.ADC).u8(Frames.u8(p, off)).u16(batteryMillivolts()));
                }
            }
            case Frames.STREAM -> {
                if (len != 3) {
                    ack(seq, Frames.BAD_LENGTH);
                    return;
                }
                int rate = Frames.u16(p, off + 1);
                if (rate > 2000) {
                    ack(seq, Frames.BAD_VALUE);
                    return;
                }
                switch (Frames.u8(p, off)) {
                    case Frames.STREAM_IMU -> imuRateHz = rate;
                    case Frames.STREAM_ENCODERS -> encoderRateHz = rate;
                    default -> {
                        ack(seq, Frames.BAD_CHANNEL);
                        return;
                    }
                }
                ack(seq, Frames.OK);
            }
            default -> ack(seq, Frames.UNKNOWN_TYPE);
        }
    }

    /** SET_OUTPUTS: u8 pwm count, u16 duty each (normalized 0..65535), u16 GPIO levels (bit i = output i). */
    private void setOutputs(int seq, byte[] p, int off, int len) {
        if (len < 1) {
            ack(seq, Frames.BAD_LENGTH);
            return;
        }
        int pwmCount = Frames.u8(p, off);
        if (len != 1 + 2 * pwmCount + 2) {
            ack(seq, Frames.BAD_LENGTH);
            return;
        }
        if (pwmCount > PWM_CHANNELS) {
            ack(seq, Frames.BAD_CHANNEL);
            return;
        }
        int levels = Frames.u16(p, off + 1 + 2 * pwmCount);
        if ((levels & ~((1 << GPIO_CHANNELS) - 1)) != 0) {
            ack(seq, Frames.BAD_CHANNEL);
            return;
        }
        int status = Frames.OK;
        synchronized (this) {
            boolean moves = (levels ^ gpioSafeLevels) != 0;
            for (int i = 0; i < pwmCount; i++) {
                moves |= Frames.u16(p, off + 1 + 2 * i) != 0;
            }
            if (moves && (lapsed || !heartbeatSeen)) {
                status = Frames.REFUSED_SAFE; // nothing moves without a live heartbeat
            } else {
                for (int i = 0; i < pwmCount; i++) {
                    pwmHardware[i] = DutyScale.toHardware(Frames.u16(p, off + 1 + 2 * i), PWM_BITS);
                }
                gpioLevels = levels;
                safeCommanded = !moves;
            }
        }
        ack(seq, status);
    }

    private void tickLoop() {
        long period = 1_000_000; // 1 kHz
        long next = System.nanoTime();
        long imuDue = next;
        long encoderDue = next;
        while (running) {
            next += period;
            LockSupport.parkNanos(next - System.nanoTime());
            long now = System.nanoTime();
            boolean justLapsed = false;
            synchronized (this) {
                if (heartbeatSeen && !lapsed && now - heartbeatDeadline > 0) {
                    lapsed = true; // the host is gone or frozen: stop everything on our own
                    lapses++;
                    toSafe();
                    justLapsed = true;
                }
                for (int w = 0; w < 2; w++) {
                    boolean reverse = (gpioLevels & (1 << w)) != 0; // GPIO 0/1: direction left/right
                    boolean brake = (gpioLevels & (1 << (2 + w))) != 0; // GPIO 2/3: brake left/right
                    drive[w] = brake ? Double.NaN : (reverse ? -1 : 1) * pwmHardware[w] / (double) ((1 << PWM_BITS) - 1);
                }
            }
            if (justLapsed) {
                status();
            }
            step(drive, 1e-3, now);
            int imu = imuRateHz;
            if (imu > 0 && now - imuDue >= 0) {
                imuDue = now + 1_000_000_000L / imu;
                sendImu(now);
            }
            int enc = encoderRateHz;
            if (enc > 0 && now - encoderDue >= 0) {
                encoderDue = now + 1_000_000_000L / enc;
                sendEncoders(now);
            }
        }
    }

    private void step(double[] drive, double dt, long now) {
        for (int w = 0; w < 2; w++) {
            double target = Double.isNaN(drive[w]) ? 0 : drive[w] * MAX_WHEEL_SPEED;
            double tau = Double.isNaN(drive[w]) ? TAU / 5 : TAU; // the brake stops it faster
            speed[w] += (target - speed[w]) * dt / tau;
            angle[w] += speed[w] * dt;
            long c = (long) Math.floor(angle[w] * COUNTS_PER_RADIAN);
            if (c != counts[w]) {
                counts[w] = c;
                lastEdgeMicros[w] = micros(now);
            }
        }
    }

    private void sendImu(long now) {
        double yawRate = (speed[1] - speed[0]) * WHEEL_RADIUS / TRACK;
        synchronized (tx) {
            send(writer.begin(Frames.IMU).u32(micros(now)).u16(0).u16(0).u16((int) Math.round(9.80665 / Frames.ACCEL_LSB))
                    .u16(0).u16(0).u16((int) Math.round(yawRate / Frames.GYRO_LSB)));
        }
    }

    private void sendEncoders(long now) {
        synchronized (tx) {
            writer.begin(Frames.ENCODERS).u32(micros(now)).u8(2);
            for (int w = 0; w < 2; w++) {
                writer.i32((int) counts[w]).u32(lastEdgeMicros[w]);
            }
            send(writer);
        }
    }

    private void status() {
        int flags;
        long l;
        synchronized (this) {
            flags = (lapsed ? Frames.FLAG_LAPSED : 0) | (safeCommanded ? Frames.FLAG_SAFE_COMMANDED : 0);
            l = lapses;
        }
        synchronized (tx) {
            send(writer.begin(Frames.STATUS).u8(flags).u32(micros(System.nanoTime()) / 1000).u16((int) Math.min(reader.errors(), 0xFFFF))
                    .u16((int) Math.min(l, 0xFFFF)));
        }
    }

    private void ack(int seq, int status) {
        synchronized (tx) { // built and sent as one: the receive and tick threads both send
            send(writer.begin(Frames.ACK).u8(seq).u8(status));
        }
    }

    /** Finishes and writes the frame being built; the caller holds {@code tx} from begin() on. */
    private void send(FrameWriter w) {
        if (frozen) {
            return;
        }
        int n = w.finish();
        try {
            out.write(w.wire(), 0, n);
            out.flush();
        } catch (IOException e) {
            System.err.println(NAME + ": the line refused a write (" + e.getMessage() + "); stopping");
            running = false;
        }
    }

    private void toSafe() {
        for (int i = 0; i < PWM_CHANNELS; i++) {
            pwmHardware[i] = 0;
        }
        gpioLevels = gpioSafeLevels;
        safeCommanded = true;
    }

    private long micros(long nanos) {
        return ((nanos - startNanos) / 1000) & 0xFFFF_FFFFL;
    }

    private int batteryMillivolts() {
        return 2775; // 11.1 V through the 1:4 divider
    }

    /** @return the hardware duty of a PWM channel, 0..1023 */
    public synchronized int pwmHardware(int channel) {
        return pwmHardware[channel];
    }

    /** @return the GPIO output levels, bit i = output i */
    public synchronized int gpioLevels() {
        return gpioLevels;
    }

    /** @return true while outputs are held safe because heartbeats stopped */
    public synchronized boolean lapsed() {
        return lapsed;
    }

    /** @return times heartbeats lapsed */
    public synchronized long lapses() {
        return lapses;
    }

    /** @return good heartbeats received since start */
    public synchronized long heartbeats() {
        return heartbeats;
    }

    /** @return frames received that failed their checks */
    public long frameErrors() {
        return reader.errors();
    }

    /** @return the wheel speeds of the model, rad/s */
    public double wheelSpeed(int wheel) {
        return speed[wheel];
    }

    /** Freezes the simulator as a hung firmware would: it neither reads nor answers, but its timers still run. */
    public void freeze(boolean on) {
        frozen = on;
    }

    @Override
    public void close() {
        running = false;
        try {
            in.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        LockSupport.unpark(tick);
    }
}
