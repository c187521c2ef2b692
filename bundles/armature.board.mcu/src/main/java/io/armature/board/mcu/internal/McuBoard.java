package io.armature.board.mcu.internal;

import java.util.List;

import org.osgi.framework.BundleContext;
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

import io.armature.hal.BoardInfo;
import io.armature.kit.board.BoardChannels;
import io.armature.kit.board.GuardedBoard;
import io.armature.kit.board.MotionGuard;

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
 *
 * <p>This component puts together the {@link McuLink} (the port and its reconnects), the
 * {@link McuSession} (handshake and frames from the microcontroller), the {@link McuSender}
 * (frames to it) and, per connection, the {@link McuConnection} with its channels and
 * {@link McuStreams}; the permit rules are the kit's {@link MotionGuard}'s, the guard holding
 * each connection's outputs in turn and the sender making its lapse check.
 */
@Component(service = {}, immediate = true, configurationPid = McuBoard.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = McuBoard.Config.class)
public final class McuBoard extends GuardedBoard {

    public static final String PID = "armature.board.mcu";

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

    private final Logger log;
    private final BundleContext context;
    private final String id;
    private final SerialLink.Settings line;
    private final McuLayout layout;
    private final Config config;
    private final MotionGuard guard;
    private final McuSender sender;
    private final McuSession session;
    private final McuLink link;
    private volatile boolean running = true;
    private volatile McuConnection connection;

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
        checkTiming(config);
        if (config.imuRateHz() < 0 || config.imuRateHz() > 2000 || config.encoderRateHz() < 0 || config.encoderRateHz() > 2000) {
            throw new IllegalArgumentException("imuRateHz and encoderRateHz must be 0..2000");
        }
        if (config.countsPerRevolution() < 1) {
            throw new IllegalArgumentException("countsPerRevolution must be at least 1, was " + config.countsPerRevolution());
        }
        if (!(config.maxVelocity() > 0) || Double.isInfinite(config.maxVelocity())) {
            throw new IllegalArgumentException("maxVelocity must be finite and above 0, was " + config.maxVelocity());
        }
        this.layout = McuLayout.of(config);
        this.guard = new MotionGuard(id, config.unsupervised(), (channel, e) -> log.error("board '{}': channel {} could not be driven safe: {}", id,
                channel, e.getMessage()));
        warnIfUnsupervised(log, id, config.unsupervised());
        this.sender = new McuSender(id, config, guard, () -> connection);
        this.session = new McuSession(id, config, line, layout, sender, this::connect, this::disconnect, log);
        this.link = new McuLink(id, line, config.reconnectMillis(), session, log);
        link.start();
        sender.start();
    }

    private static void checkTiming(Config config) {
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
    }

    @Deactivate
    void deactivate() {
        toSafeState();
        running = false;
        sender.stop(); // it sends SAFE as it stops
        link.stop();
        disconnect("the board is stopping");
        guard.close();
    }

    /** A microcontroller passed the handshake on {@code port}: its channels and streams come, and the board with them. */
    private McuConnection connect(SerialLink port, HelloReply hello) {
        McuConnection c = new McuConnection(id, hello.name() + " on " + line, port, hello, layout, config, guard, sender::wake);
        guard.attach(c.channels.actuators());
        connection = c;
        sender.wake();
        if (context != null) {
            c.register(context, this);
        }
        log.info("board '{}' connected: {} on {}, {} PWM ({}-bit), {} outputs, {} ADC", id, hello.name(), line, layout.pwm.length, hello.pwmBits(),
                layout.outputs.length, layout.adc.length);
        return c;
    }

    private void disconnect(String reason) {
        McuConnection c = connection;
        if (c == null) {
            return;
        }
        connection = null;
        c.toSafeState();
        c.close();
        if (running) {
            log.error("board '{}' disconnected: {}; outputs are held safe by the microcontroller's heartbeat timeout", id, reason);
        }
    }

    // ---------------------------------------------------------------- Board

    @Override
    protected MotionGuard guard() {
        return guard;
    }

    @Override
    protected BoardChannels boardChannels() {
        McuConnection c = connection;
        return c == null ? null : c.channels;
    }

    @Override
    protected BoardInfo infoWithoutChannels() {
        return new BoardInfo(id, "microcontroller on " + line + " (disconnected)", "mcu", List.of());
    }

    @Override
    protected String noChannels(String name) {
        return "board '" + id + "' is disconnected; channel '" + name + "' is not there now";
    }

    @Override
    public void permitMotion(long expiryNanos) {
        super.permitMotion(expiryNanos);
        McuConnection c = connection;
        if (c != null && !c.beating) {
            sender.wake(); // the first heartbeat goes out now, not a period later
        }
    }

    /** Ends the permit and drives the outputs safe, SAFE going out at once. */
    @Override
    public void revokeMotion() {
        super.revokeMotion();
        toSafeState();
        McuConnection c = connection;
        if (c != null) {
            c.safeRequested = true;
            sender.wake();
        }
    }

    @Override
    public void toSafeState() {
        McuConnection c = connection;
        if (c != null) {
            c.toSafeState();
            c.dirty = true;
            sender.wake();
        }
    }

    /** @return frames dropped since start: bad on the wire, or good but of no use (unknown type, wrong length) */
    long frameErrors() {
        return session.frameErrors();
    }

    /** @return commands the microcontroller refused */
    long nacks() {
        return session.nacks();
    }

    /** @return times the microcontroller held its outputs safe because heartbeats stopped */
    long mcuLapses() {
        return session.mcuLapses();
    }

    boolean connected() {
        return connection != null;
    }
}
