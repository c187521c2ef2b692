package io.armature.board.mcu.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.board.mcu.protocol.FrameReader;
import io.armature.board.mcu.protocol.FrameWriter;
import io.armature.board.mcu.protocol.Frames;
import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.kit.board.BoardServices;
import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.kit.board.Channels;
import io.armature.hal.MotionPermit;
import io.armature.hal.UnknownChannelException;
import io.armature.sensor.EncoderSample;
import io.armature.kit.sensor.EncoderVelocity;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleStream;
import io.armature.sensors.stream.BroadcastStream;

/**
 * A microcontroller (an ESP32-C3, or any that speaks the protocol in this bundle's README) on a
 * serial port, as a board: its PWM and GPIO outputs, its ADC inputs, and its IMU and wheel
 * encoders as sample streams.
 *
 * <p>The board exists while the link does: on connect it says HELLO, checks the
 * microcontroller has the channels configured here, and registers the board, its channels and
 * its streams; when the port goes away or the microcontroller stops answering, it unregisters
 * them (a required board gone trips the supervisor; streams end visibly) and tries the port again
 * every {@code reconnectMillis}.
 *
 * <p>Heartbeats go out every {@code heartbeatPeriodMillis} only while the motion permit is valid
 * (fed by the safety supervisor, or, for a board configured {@code unsupervised}, before the
 * first feed), each asking the microcontroller to hold its outputs safe by itself if the next one
 * is later than {@code heartbeatTimeoutMillis}. So a board no supervisor feeds sends none and its
 * microcontroller refuses to move, and a supervisor that stops feeding, a frozen JVM or a killed
 * one stops the motors on the microcontroller too. When the permit becomes valid the first
 * heartbeat goes out at once, ahead of the outputs.
 */
@Component(service = {}, immediate = true, configurationPid = McuBoard.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = McuBoard.Config.class)
public final class McuBoard implements Board {

    public static final String PID = "armature.board.mcu";
    private static final long MS = 1_000_000L;

    @ObjectClassDefinition(name = "Armature microcontroller board", description = "A microcontroller on a serial port, spoken to with the Armature protocol.")
    public @interface Config {
        @AttributeDefinition(name = "Board id", description = "Board id, also the armature.board service property.")
        String armature_board() default "mcu";

        @AttributeDefinition(name = "Serial port", description = "The device, for example /dev/ttyACM0 (ESP32-C3 USB) or /dev/ttyAMA0.")
        String port();

        @AttributeDefinition(name = "Baud rate", description = "1200..4000000.")
        int baudRate() default 115200;

        @AttributeDefinition(name = "Data bits", description = "5..8.")
        int dataBits() default 8;

        @AttributeDefinition(name = "Parity", description = "none, even or odd.")
        String parity() default "none";

        @AttributeDefinition(name = "Stop bits", description = "1 or 2.")
        int stopBits() default 1;

        @AttributeDefinition(name = "PWM channels", description = "Channel names, in the microcontroller's PWM channel order.")
        String[] pwmChannels() default {"motor.left.pwm", "motor.right.pwm"};

        @AttributeDefinition(name = "PWM frequency (Hz)", description = "What the firmware runs its PWM timer at (reported, not set).")
        double pwmFrequencyHz() default 20000;

        @AttributeDefinition(name = "Outputs", description = "name:safe level (low or high), in the microcontroller's GPIO order.")
        String[] outputs() default {"motor.left.dir:low", "motor.right.dir:low", "motor.left.brake:high", "motor.right.brake:high"};

        @AttributeDefinition(name = "ADC channels", description = "Channel names, in the microcontroller's ADC order; polled with each heartbeat.")
        String[] adcChannels() default {"battery.sense"};

        @AttributeDefinition(name = "ADC full scale (mV)", description = "Full-scale input of the microcontroller's ADC.")
        int adcFullScaleMillivolts() default 2500;

        @AttributeDefinition(name = "Heartbeat period (ms)", description = "How often a heartbeat goes out while motion is permitted, 5..500.")
        int heartbeatPeriodMillis() default 20;

        @AttributeDefinition(name = "Heartbeat timeout (ms)", description = "The microcontroller holds its outputs safe when heartbeats stop "
                + "for longer than this; at least 3 periods, at most 5000.")
        int heartbeatTimeoutMillis() default 100;

        @AttributeDefinition(name = "Link timeout (ms)", description = "No frame from the microcontroller for this long: the link is down.")
        int linkTimeoutMillis() default 500;

        @AttributeDefinition(name = "Reconnect (ms)", description = "How often to try the port again while the link is down.")
        int reconnectMillis() default 500;

        @AttributeDefinition(name = "IMU stream", description = "Name of the IMU stream; empty for none.")
        String imuStream() default "imu";

        @AttributeDefinition(name = "IMU rate (Hz)", description = "0..2000.")
        int imuRateHz() default 500;

        @AttributeDefinition(name = "Encoder streams", description = "Stream names, in the microcontroller's encoder order; empty for none.")
        String[] encoderStreams() default {"encoder.left", "encoder.right"};

        @AttributeDefinition(name = "Encoder rate (Hz)", description = "0..2000.")
        int encoderRateHz() default 500;

        @AttributeDefinition(name = "Counts per revolution", description = "Encoder counts per wheel revolution.")
        int countsPerRevolution() default 1440;

        @AttributeDefinition(name = "Velocity window (ms)", description = "Velocity is the counts over this window divided by the time between their edges.")
        int velocityWindowMillis() default 20;

        @AttributeDefinition(name = "Largest speed (rad/s)", description = "A faster encoder velocity is out of range: flagged invalid.")
        double maxVelocity() default 100.0;

        @AttributeDefinition(name = "Unsupervised (bench only)", description = "true lets the board move with no safety supervisor "
                + "feeding its motion permit: heartbeats go out and outputs may leave their safe state before the first feed. For a bench, "
                + "never a robot. When false (the default) the board sends no heartbeats and refuses motion until a supervisor feeds it.")
        boolean unsupervised() default false;
    }

    private record OutputSpec(String name, boolean safeLevel) {
    }

    private final Logger log;
    private final BundleContext context;
    private final String id;
    private final SerialLink.Settings line;
    private final String[] pwmNames;
    private final OutputSpec[] outputSpecs;
    private final String[] adcNames;
    private final Config config;
    private final MotionPermit permit;
    private final FrameReader reader = new FrameReader(this::onFrame);
    private final FrameWriter writer = new FrameWriter();
    private final Object sendLock = new Object();
    private final Thread linkThread;
    private final Thread sendThread;
    private volatile boolean running = true;

    // one connection's state; replaced on every connect
    private volatile Connection connection;
    private volatile Handshake handshake;

    // written by the link thread alone
    private volatile long nacks;
    private volatile int lastNack = Frames.OK;
    private volatile long mcuLapses;
    /** good frames the board could not use: an unknown type, or a payload of the wrong length */
    private volatile long unusable;

    @Activate
    public McuBoard(Config config, BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        this.context = context;
        this.config = config;
        this.id = config.armature_board() == null ? "" : config.armature_board().trim();
        if (!id.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("armature.board must be letters, digits, '.', '_' or '-', was '" + config.armature_board() + "'");
        }
        this.line = new SerialLink.Settings(config.port(), config.baudRate(), config.dataBits(), config.parity(), config.stopBits());
        if (config.heartbeatPeriodMillis() < 5 || config.heartbeatPeriodMillis() > 500) {
            throw new IllegalArgumentException("heartbeatPeriodMillis must be 5..500, was " + config.heartbeatPeriodMillis());
        }
        if (config.heartbeatTimeoutMillis() < 3 * config.heartbeatPeriodMillis() || config.heartbeatTimeoutMillis() > 5000) {
            throw new IllegalArgumentException("heartbeatTimeoutMillis must be at least 3 heartbeat periods (" + 3 * config.heartbeatPeriodMillis()
                    + " ms) and at most 5000, was " + config.heartbeatTimeoutMillis());
        }
        if (config.linkTimeoutMillis() < config.heartbeatTimeoutMillis()) {
            throw new IllegalArgumentException("linkTimeoutMillis must be at least heartbeatTimeoutMillis, was " + config.linkTimeoutMillis());
        }
        if (config.imuRateHz() < 0 || config.imuRateHz() > 2000 || config.encoderRateHz() < 0 || config.encoderRateHz() > 2000) {
            throw new IllegalArgumentException("imuRateHz and encoderRateHz must be 0..2000");
        }
        if (config.countsPerRevolution() < 1) {
            throw new IllegalArgumentException("countsPerRevolution must be at least 1, was " + config.countsPerRevolution());
        }
        this.pwmNames = names(config.pwmChannels());
        this.adcNames = names(config.adcChannels());
        String[] outs = names(config.outputs());
        this.outputSpecs = new OutputSpec[outs.length];
        for (int i = 0; i < outs.length; i++) {
            String[] parts = outs[i].split(":");
            if (parts.length != 2 || !(parts[1].equals("low") || parts[1].equals("high"))) {
                throw new IllegalArgumentException("outputs are name:low or name:high (the safe level), was '" + outs[i] + "'");
            }
            outputSpecs[i] = new OutputSpec(parts[0], parts[1].equals("high"));
        }
        if (outputSpecs.length > 16) {
            throw new IllegalArgumentException("at most 16 outputs, was " + outputSpecs.length);
        }
        this.permit = new MotionPermit(config.unsupervised());
        if (config.unsupervised()) {
            log.warn("board '{}' is unsupervised: it moves with no safety supervisor; for a bench only", id);
        }
        this.linkThread = new Thread(this::linkLoop, "armature-mcu-" + id);
        this.sendThread = new Thread(this::sendLoop, "armature-mcu-" + id + "-tx");
        linkThread.setDaemon(true);
        sendThread.setDaemon(true);
        linkThread.start();
        sendThread.start();
    }

    /** A list from configuration: an array, or one comma-separated string as a .cfg file gives it. */
    private static String[] names(String[] configured) {
        List<String> out = new ArrayList<>();
        if (configured != null) {
            for (String entry : configured) {
                for (String s : entry == null ? new String[0] : entry.split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
            }
        }
        return out.toArray(new String[0]);
    }

    @Deactivate
    void deactivate() {
        toSafeState();
        running = false; // the send thread sends SAFE as it stops
        Connection c = connection;
        LockSupport.unpark(sendThread);
        join(sendThread);
        if (c != null) {
            c.link.close(); // wakes the link thread's read
        }
        join(linkThread);
        disconnect("the board is stopping");
    }

    private static void join(Thread t) {
        try {
            t.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the link thread: connect, read

    private void linkLoop() {
        byte[] buf = new byte[1024];
        String lastFailure = null;
        while (running) {
            SerialLink link;
            try {
                link = SerialLink.open(line);
            } catch (IOException | RuntimeException e) {
                if (!e.getMessage().equals(lastFailure)) {
                    log.warn("board '{}': {}; trying again every {} ms", id, e.getMessage(), config.reconnectMillis());
                    lastFailure = e.getMessage();
                }
                sleep(config.reconnectMillis());
                continue;
            }
            lastFailure = null;
            String reason = session(link, buf);
            link.close();
            disconnect(reason);
            if (running) {
                sleep(config.reconnectMillis());
            }
        }
    }

    /** @return why the session ended */
    private String session(SerialLink link, byte[] buf) {
        reader.reset();
        Handshake hello = new Handshake();
        handshake = hello;
        try {
            synchronized (sendLock) { // the send thread may still be finishing with the previous link
                send(link, writer.begin(Frames.HELLO).u16(safeMask()));
            }
            long deadline = System.nanoTime() + 1_000 * MS;
            while (running && hello.reply == null && System.nanoTime() - deadline < 0) {
                int n = link.read(buf);
                reader.accept(buf, 0, n);
            }
            if (hello.reply == null) {
                return running ? "no HELLO_REPLY from the microcontroller on " + line.port() + " within 1 s" : "stopping";
            }
            String refused = hello.reply.refusal(pwmNames.length, outputSpecs.length, adcNames.length);
            if (refused != null) {
                log.error("board '{}': {}", id, refused);
                return refused;
            }
            connect(link, hello.reply); // the send thread starts the streams
            long lastFrame = System.nanoTime();
            long framesBefore = reader.frames();
            while (running) {
                int n = link.read(buf);
                reader.accept(buf, 0, n);
                long now = System.nanoTime();
                if (reader.frames() != framesBefore) {
                    framesBefore = reader.frames();
                    lastFrame = now;
                } else if (now - lastFrame > config.linkTimeoutMillis() * MS) {
                    return "no frame from the microcontroller for " + config.linkTimeoutMillis() + " ms";
                }
            }
            return "stopping";
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static final class Handshake {
        volatile HelloReply reply;
    }

    /** What the microcontroller says it has. */
    record HelloReply(int version, int pwm, int pwmBits, int gpio, int adc, String name) {
        String refusal(int wantPwm, int wantGpio, int wantAdc) {
            if (version != Frames.VERSION) {
                return name + " speaks protocol version " + version + ", this board speaks " + Frames.VERSION;
            }
            if (pwm < wantPwm || gpio < wantGpio || adc < wantAdc) {
                return String.format("%s has %d PWM, %d GPIO, %d ADC channels; the configuration asks for %d, %d, %d", name, pwm, gpio, adc,
                        wantPwm, wantGpio, wantAdc);
            }
            if (pwmBits < 1 || pwmBits > 16) {
                return name + " reports a PWM resolution of " + pwmBits + " bits; 1..16 expected";
            }
            return null;
        }
    }

    private int safeMask() {
        int mask = 0;
        for (int i = 0; i < outputSpecs.length; i++) {
            if (outputSpecs[i].safeLevel()) {
                mask |= 1 << i;
            }
        }
        return mask;
    }

    // ---------------------------------------------------------------- one connection

    /** The channels, streams and registrations of one connection. */
    private final class Connection implements McuChannels.Link {
        final SerialLink link;
        final HelloReply hello;
        final McuChannels.Pwm[] pwm;
        final McuChannels.Output[] outputs;
        final McuChannels.Adc[] adc;
        final Map<String, Channel> channels = new LinkedHashMap<>();
        final Actuator[] actuators;
        final BoardInfo info;
        final BroadcastStream<ImuSample> imu;
        final List<BroadcastStream<EncoderSample>> encoders = new ArrayList<>();
        final EncoderVelocity[] velocity;
        final McuClock clock = new McuClock();
        final long[] edgeNanos;
        final List<ServiceRegistration<?>> streamRegistrations = new ArrayList<>();
        BoardServices services;
        volatile boolean open = true;
        volatile boolean dirty = true;
        volatile boolean safeRequested = true;
        volatile boolean mcuLapsed;
        /** a heartbeat went out at the last due beat, or since: the send thread's, read by permitMotion */
        volatile boolean beating;
        boolean streamsStarted; // the send thread's

        Connection(SerialLink link, HelloReply hello) {
            this.link = link;
            this.hello = hello;
            pwm = new McuChannels.Pwm[pwmNames.length];
            for (int i = 0; i < pwm.length; i++) {
                pwm[i] = add(new McuChannels.Pwm(pwmNames[i], hello.pwmBits(), config.pwmFrequencyHz(), this));
            }
            outputs = new McuChannels.Output[outputSpecs.length];
            for (int i = 0; i < outputs.length; i++) {
                outputs[i] = add(new McuChannels.Output(outputSpecs[i].name(), outputSpecs[i].safeLevel(), this));
            }
            adc = new McuChannels.Adc[adcNames.length];
            for (int i = 0; i < adc.length; i++) {
                adc[i] = add(new McuChannels.Adc(adcNames[i], config.adcFullScaleMillivolts(), this));
            }
            List<ChannelInfo> infos = new ArrayList<>();
            for (Channel c : channels.values()) {
                infos.add(c.info());
            }
            info = new BoardInfo(id, hello.name() + " on " + line, "mcu", infos);
            actuators = channels.values().stream().filter(Actuator.class::isInstance).map(Actuator.class::cast).toArray(Actuator[]::new);
            String imuName = config.imuStream().trim();
            imu = imuName.isEmpty() ? null : new BroadcastStream<>(imuName, config.imuRateHz(), 256, ImuSample::new);
            String[] encoderNames = names(config.encoderStreams());
            velocity = new EncoderVelocity[encoderNames.length];
            edgeNanos = new long[encoderNames.length];
            int window = (int) Math.max(1, Math.round(config.velocityWindowMillis() * config.encoderRateHz() / 1000.0));
            for (int i = 0; i < encoderNames.length; i++) {
                encoders.add(new BroadcastStream<>(encoderNames[i], config.encoderRateHz(), 256, EncoderSample::new));
                velocity[i] = new EncoderVelocity(window, 2 * Math.PI / config.countsPerRevolution());
            }
        }

        private <T extends Channel> T add(T c) {
            if (channels.put(c.name(), c) != null) {
                throw new IllegalArgumentException("channel name '" + c.name() + "' is used twice");
            }
            return c;
        }

        @Override
        public MotionPermit permit() {
            return permit;
        }

        @Override
        public void check(String channel) {
            if (!open) {
                throw new IllegalStateException("board '" + id + "' is disconnected; channel " + channel + " is gone");
            }
        }

        @Override
        public void outputsChanged() {
            dirty = true;
            LockSupport.unpark(sendThread);
        }

        void register() {
            services = BoardServices.registerChannels(context, id, channels.values()).andBoard(McuBoard.this, Map.of());
            if (imu != null) {
                streamRegistrations.add(registerStream(imu));
            }
            for (BroadcastStream<EncoderSample> e : encoders) {
                streamRegistrations.add(registerStream(e));
            }
        }

        private ServiceRegistration<?> registerStream(BroadcastStream<?> s) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(SampleStream.PROPERTY_STREAM, s.name());
            props.put(PROPERTY_BOARD, id);
            return context.registerService(SampleStream.class, s, props);
        }

        void close() {
            open = false;
            if (imu != null) {
                imu.close();
            }
            for (BroadcastStream<EncoderSample> e : encoders) {
                e.close();
            }
            for (ServiceRegistration<?> r : streamRegistrations) {
                try {
                    r.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the bundle is stopping
                }
            }
            if (services != null) {
                services.close();
            }
        }
    }

    private void connect(SerialLink link, HelloReply hello) {
        Connection c = new Connection(link, hello);
        connection = c;
        LockSupport.unpark(sendThread);
        if (context != null) {
            c.register();
        }
        log.info("board '{}' connected: {} on {}, {} PWM ({}-bit), {} outputs, {} ADC", id, hello.name(), line, pwmNames.length, hello.pwmBits(),
                outputSpecs.length, adcNames.length);
    }

    private void disconnect(String reason) {
        Connection c = connection;
        if (c == null) {
            return;
        }
        connection = null;
        for (Actuator a : c.actuators) {
            a.toSafeState();
        }
        c.close();
        if (running) {
            log.error("board '{}' disconnected: {}; outputs are held safe by the microcontroller's heartbeat timeout", id, reason);
        }
    }

    // ---------------------------------------------------------------- frames from the microcontroller

    private void onFrame(int type, int seq, byte[] p, int off, int len) {
        Connection c = connection;
        switch (type) {
            case Frames.HELLO_REPLY -> {
                Handshake h = handshake;
                if (h != null && len >= 5) {
                    h.reply = new HelloReply(Frames.u8(p, off), Frames.u8(p, off + 1), Frames.u8(p, off + 2), Frames.u8(p, off + 3), Frames.u8(p, off + 4),
                            new String(p, off + 5, len - 5, StandardCharsets.US_ASCII));
                }
            }
            case Frames.ACK -> {
                if (len == 2 && Frames.u8(p, off + 1) != Frames.OK) {
                    nacks++;
                    int status = Frames.u8(p, off + 1);
                    if (status == Frames.REFUSED_SAFE && c != null) {
                        for (Actuator a : c.actuators) {
                            a.toSafeState(); // what the host shows is what the motors do
                        }
                    }
                    if (status != lastNack) {
                        lastNack = status;
                        log.warn("board '{}': the microcontroller refused a command: {}", id, Frames.statusName(status));
                    }
                }
            }
            case Frames.STATUS -> {
                if (c != null && len >= 1) {
                    boolean lapsed = (Frames.u8(p, off) & Frames.FLAG_LAPSED) != 0;
                    if (lapsed && !c.mcuLapsed) {
                        mcuLapses++;
                        log.warn("board '{}': the microcontroller held its outputs safe: heartbeats stopped for more than {} ms", id,
                                config.heartbeatTimeoutMillis());
                        for (Actuator a : c.actuators) {
                            a.toSafeState(); // what the host shows is what the motors do
                        }
                    }
                    c.mcuLapsed = lapsed;
                }
            }
            case Frames.ADC -> {
                if (c != null && len == 3 && Frames.u8(p, off) < c.adc.length) {
                    c.adc[Frames.u8(p, off)].update(Frames.u16(p, off + 1));
                }
            }
            case Frames.IMU -> {
                if (c != null && c.imu != null && len == 16) {
                    publishImu(c, p, off);
                }
            }
            case Frames.ENCODERS -> {
                if (c != null && len >= 5) {
                    publishEncoders(c, p, off, len);
                }
            }
            default -> unusable++;
        }
    }


    private void publishImu(Connection c, byte[] p, int off) {
        long t = c.clock.frameTime(Frames.u32(p, off), System.nanoTime());
        ImuSample s = c.imu.claim();
        s.timestampNanos = t;
        boolean saturated = false;
        for (int i = 0; i < 6; i++) {
            int raw = Frames.i16(p, off + 4 + 2 * i);
            saturated |= raw == Short.MAX_VALUE || raw == Short.MIN_VALUE;
        }
        s.accelX = Frames.i16(p, off + 4) * Frames.ACCEL_LSB;
        s.accelY = Frames.i16(p, off + 6) * Frames.ACCEL_LSB;
        s.accelZ = Frames.i16(p, off + 8) * Frames.ACCEL_LSB;
        s.gyroX = Frames.i16(p, off + 10) * Frames.GYRO_LSB;
        s.gyroY = Frames.i16(p, off + 12) * Frames.GYRO_LSB;
        s.gyroZ = Frames.i16(p, off + 14) * Frames.GYRO_LSB;
        s.valid = !saturated; // at full scale the true value is unknown
        c.imu.publish();
    }

    private void publishEncoders(Connection c, byte[] p, int off, int len) {
        long t = c.clock.frameTime(Frames.u32(p, off), System.nanoTime());
        int n = Frames.u8(p, off + 4);
        if (len != 5 + 8 * n) {
            unusable++;
            return;
        }
        for (int i = 0; i < n && i < c.encoders.size(); i++) {
            int counts = Frames.i32(p, off + 5 + 8 * i);
            long edge = c.clock.otherTime(Frames.u32(p, off + 9 + 8 * i));
            double v = c.velocity[i].update(counts, edge);
            BroadcastStream<EncoderSample> stream = c.encoders.get(i);
            EncoderSample s = stream.claim();
            s.timestampNanos = t;
            s.counts = counts;
            s.positionRadians = counts * 2 * Math.PI / config.countsPerRevolution();
            s.velocityRadiansPerSecond = v;
            s.valid = Double.isFinite(v) && Math.abs(v) <= config.maxVelocity();
            stream.publish();
        }
    }

    // ---------------------------------------------------------------- the send thread

    /**
     * Everything that goes to the microcontroller once connected goes from here, so one writer
     * numbers the frames. An iteration holds {@code sendLock}: the link thread's HELLO on a new
     * link waits for it.
     */
    private void sendLoop() {
        long period = config.heartbeatPeriodMillis() * MS;
        long nextBeat = System.nanoTime();
        while (running) {
            Connection c = connection;
            if (c == null) {
                LockSupport.parkNanos(50 * MS);
                continue;
            }
            try {
                synchronized (sendLock) {
                    nextBeat = sendDue(c, nextBeat, period);
                }
            } catch (IOException e) {
                // the link thread sees the port go and reconnects
                LockSupport.parkNanos(10 * MS);
            }
            if (!c.dirty && !c.safeRequested) {
                LockSupport.parkNanos(Math.max(0, nextBeat - System.nanoTime()));
            }
        }
        Connection c = connection;
        if (c != null) {
            try {
                synchronized (sendLock) {
                    send(c.link, writer.begin(Frames.SAFE)); // stopping: the microcontroller's timeout covers a lost frame
                }
            } catch (IOException e) {
                // gone already
            }
        }
    }

    /** @return when the next heartbeat is due */
    private long sendDue(Connection c, long nextBeat, long period) throws IOException {
        long now = System.nanoTime();
        boolean permitted = permit.permitted();
        // the heartbeat first: a microcontroller refuses to move anything before one, so when the
        // permit becomes valid (the first feed, a feed after a lapse) it goes out at once
        if (now - nextBeat >= 0 || (permitted && !c.beating)) {
            nextBeat = now + period;
            c.beating = permitted;
            if (permitted) {
                send(c.link, writer.begin(Frames.HEARTBEAT).u16(config.heartbeatTimeoutMillis()));
            }
            for (int i = 0; i < c.adc.length; i++) {
                send(c.link, writer.begin(Frames.READ_ADC).u8(i));
            }
        }
        if (!c.streamsStarted) {
            c.streamsStarted = true;
            send(c.link, writer.begin(Frames.STREAM).u8(Frames.STREAM_IMU).u16(c.imu == null ? 0 : config.imuRateHz()));
            send(c.link, writer.begin(Frames.STREAM).u8(Frames.STREAM_ENCODERS).u16(c.encoders.isEmpty() ? 0 : config.encoderRateHz()));
        }
        if (!permit.permitted() && !allSafe(c)) {
            toSafeState(); // the permit lapsed: nobody vouches for these outputs any more
            c.safeRequested = true;
        }
        if (c.safeRequested) {
            c.safeRequested = false;
            send(c.link, writer.begin(Frames.SAFE));
        }
        // Outputs that would move wait for this episode's first heartbeat: the permit may have
        // become valid after this pass read it, and the microcontroller refuses motion before one.
        if (c.dirty && (c.beating || allSafe(c))) {
            c.dirty = false;
            writer.begin(Frames.SET_OUTPUTS).u8(c.pwm.length);
            for (McuChannels.Pwm p : c.pwm) {
                writer.u16(p.duty());
            }
            int levels = 0;
            for (int i = 0; i < c.outputs.length; i++) {
                if (c.outputs[i].get()) {
                    levels |= 1 << i;
                }
            }
            send(c.link, writer.u16(levels));
        }
        return nextBeat;
    }

    /** Finishes the frame being built and writes it; the caller holds {@code sendLock}. */
    private void send(SerialLink link, FrameWriter w) throws IOException {
        int n = w.finish();
        link.write(w.wire(), n);
    }

    private boolean allSafe(Connection c) {
        for (Actuator a : c.actuators) {
            if (!a.isSafe()) {
                return false;
            }
        }
        return true;
    }

    private static void sleep(long millis) {
        LockSupport.parkNanos(millis * MS);
    }

    // ---------------------------------------------------------------- Board

    @Override
    public BoardInfo info() {
        Connection c = connection;
        return c == null ? new BoardInfo(id, "microcontroller on " + line + " (disconnected)", "mcu", List.of()) : c.info;
    }

    @Override
    public List<Channel> channels() {
        Connection c = connection;
        return c == null ? List.of() : List.copyOf(c.channels.values());
    }

    @Override
    public <T extends Channel> T channel(String name, Class<T> type) {
        Connection c = connection;
        if (c == null) {
            throw new UnknownChannelException("board '" + id + "' is disconnected; channel '" + name + "' is not there now");
        }
        return Channels.find(id, c.channels, name, type);
    }

    @Override
    public void permitMotion(long expiryNanos) {
        permit.permit(expiryNanos);
        Connection c = connection;
        if (c != null && !c.beating) {
            LockSupport.unpark(sendThread); // the first heartbeat goes out now, not a period later
        }
    }

    @Override
    public void revokeMotion() {
        permit.revoke();
        toSafeState();
        Connection c = connection;
        if (c != null) {
            c.safeRequested = true;
            LockSupport.unpark(sendThread);
        }
    }

    @Override
    public boolean motionPermitted() {
        return permit.permitted();
    }

    @Override
    public long refusedWrites() {
        return permit.refusedWrites();
    }

    @Override
    public void toSafeState() {
        Connection c = connection;
        if (c != null) {
            for (Actuator a : c.actuators) {
                a.toSafeState();
            }
            c.dirty = true;
            LockSupport.unpark(sendThread);
        }
    }

    /** @return frames dropped since start: bad on the wire, or good but of no use (unknown type, wrong length) */
    long frameErrors() {
        return reader.errors() + unusable;
    }

    /** @return commands the microcontroller refused */
    long nacks() {
        return nacks;
    }

    /** @return times the microcontroller held its outputs safe because heartbeats stopped */
    long mcuLapses() {
        return mcuLapses;
    }

    boolean connected() {
        return connection != null;
    }
}
