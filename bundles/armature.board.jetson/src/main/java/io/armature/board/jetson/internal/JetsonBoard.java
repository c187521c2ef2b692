package io.armature.board.jetson.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.board.jetson.gpio.GpioDriver;
import io.armature.board.jetson.gpio.GpioEdge;
import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.ChannelType;
import io.armature.hal.PwmOutput;
import io.armature.kit.board.BoardChannels;
import io.armature.kit.board.BoardServices;
import io.armature.kit.board.DeviceTree;
import io.armature.kit.board.GuardedBoard;
import io.armature.kit.board.MotionGuard;

/**
 * A Linux board: GPIO through the GPIO character device, PWM through {@code /sys/class/pwm}.
 * With {@code header=jetson-orin-nano} channels are placed on pins of the Jetson Orin Nano
 * developer kit's 40-pin header and the board refuses a machine whose device tree is not that
 * kit; with {@code header=none} channels name chips and lines directly and any Linux machine
 * will do. The device-tree, sysfs and {@code /dev} roots are configurable, so that tests run
 * against fake trees.
 *
 * <p>Safe states: PWM duty 0 with the channel enabled (the pin holds its inactive level);
 * each output its configured level, which is also the level it is requested with, so it never
 * shows another one. The board goes safe on deactivate, on {@link #revokeMotion()} and, checked
 * every {@code permitCheckMillis}, when a fed motion permit lapses. Until a supervisor first feeds
 * the permit, writes that would move are refused, unless the board is configured {@code unsupervised}.
 */
@Component(service = {}, immediate = true, configurationPid = JetsonBoard.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = {
            Board.PROPERTY_COMPATIBLE + "=nvidia,p3768-0000+p3767-0003", Board.PROPERTY_COMPATIBLE + "=nvidia,p3768-0000+p3767-0004",
            Board.PROPERTY_COMPATIBLE + "=nvidia,p3768-0000+p3767-0005", Board.PROPERTY_COMPATIBLE + "=nvidia,p3509-0000+p3767-0003",
            Board.PROPERTY_COMPATIBLE + "=nvidia,p3509-0000+p3767-0004", Board.PROPERTY_COMPATIBLE + "=nvidia,p3509-0000+p3767-0005",
            Board.PROPERTY_COMPATIBLE + "=nvidia,p3768-0000+p3767-0000", Board.PROPERTY_COMPATIBLE + "=nvidia,p3768-0000+p3767-0001",
            Board.PROPERTY_COMPATIBLE + "=nvidia,p3509-0000+p3767-0000", Board.PROPERTY_COMPATIBLE + "=nvidia,p3509-0000+p3767-0001"})
@Designate(ocd = JetsonBoard.Config.class)
public final class JetsonBoard extends GuardedBoard {

    public static final String PID = "armature.board.jetson";
    static final String HEADER_JETSON = "jetson-orin-nano";
    static final String HEADER_NONE = "none";

    @ObjectClassDefinition(name = "Armature Jetson / Linux board",
            description = "GPIO through the GPIO character device and PWM through /sys/class/pwm, on the Jetson Orin Nano "
                    + "developer kit's 40-pin header or on chips and lines named directly.")
    public @interface Config {
        @AttributeDefinition(name = "Board id", description = "Board id, also the armature.board service property.")
        String armature_board() default "jetson";

        @AttributeDefinition(name = "Header", description = "jetson-orin-nano: channels are 40-pin header pins and the machine "
                + "must be a Jetson Orin Nano/NX developer kit. none: channels are gpiochipN:line and pwmchipN:channel, any Linux machine.")
        String header() default HEADER_JETSON;

        @AttributeDefinition(name = "PWM channels", description = "name=pin, for example motor.left.pwm=33 (header pins 15, 32, 33) or motor.left.pwm=pwmchip0:0.")
        String[] pwm() default {};

        @AttributeDefinition(name = "Digital outputs", description = "name=pin:safe level, for example motor.left.dir=29:low or motor.left.brake=gpiochip0:105:high.")
        String[] outputs() default {};

        @AttributeDefinition(name = "Digital inputs", description = "name=pin, for example estop.in=40; both edges are reported, timestamped by the kernel.")
        String[] inputs() default {};

        @AttributeDefinition(name = "PWM frequency (Hz)", description = "Frequency of every PWM channel at start, 1..100000 Hz.")
        double pwmFrequencyHz() default 20000.0;

        @AttributeDefinition(name = "Device tree", description = "Where the device tree is shown (model, compatible).")
        String deviceTreeRoot() default "/proc/device-tree";

        @AttributeDefinition(name = "sysfs", description = "The sysfs root; PWM chips are under class/pwm.")
        String sysfsRoot() default "/sys";

        @AttributeDefinition(name = "Devices", description = "Where the gpiochipN device nodes are.")
        String devRoot() default "/dev";

        @AttributeDefinition(name = "Export time-out (ms)", description = "How long an exported PWM channel may take to become writable, 1..10000 ms.")
        int exportTimeoutMillis() default 2000;

        @AttributeDefinition(name = "Permit check (ms)", description = "How often the board checks whether its motion permit lapsed, 1..100 ms.")
        int permitCheckMillis() default 2;

        @AttributeDefinition(name = "GPIO driver", description = "Filter selecting the GPIO driver service; the kernel's character device is (armature.gpio.driver=chardev).")
        String gpioDriver_target() default "(armature.gpio.driver=chardev)";

        @AttributeDefinition(name = "Unsupervised (bench only)", description = "true lets the board move with no safety supervisor "
                + "feeding its motion permit: actuators may leave their safe state before the first feed. For a bench, never a robot. "
                + "When false (the default) the board refuses motion until a supervisor feeds it. Fixed while the board runs.")
        boolean unsupervised() default false;
    }

    /** Values from a {@link Config} after validation. */
    record Settings(String id, boolean headerMap, List<ChannelSpec> channels, double pwmFrequencyHz, Path deviceTreeRoot,
            Path sysfsRoot, Path devRoot, int exportTimeoutMillis, int permitCheckMillis, boolean unsupervised) {

        static Settings of(Config c) {
            String id = c.armature_board() == null ? "" : c.armature_board().trim();
            if (!id.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("armature.board must be letters, digits, '.', '_' or '-', was '" + c.armature_board() + "'");
            }
            String header = c.header() == null ? "" : c.header().trim();
            if (!header.equals(HEADER_JETSON) && !header.equals(HEADER_NONE)) {
                throw new IllegalArgumentException("header must be " + HEADER_JETSON + " or " + HEADER_NONE + ", was '" + c.header() + "'");
            }
            double hz = c.pwmFrequencyHz();
            if (!(hz >= 1 && hz <= JetsonChannels.Pwm.MAX_FREQUENCY_HZ)) {
                throw new IllegalArgumentException("pwmFrequencyHz must be 1..100000, was " + hz);
            }
            if (c.exportTimeoutMillis() < 1 || c.exportTimeoutMillis() > 10_000) {
                throw new IllegalArgumentException("exportTimeoutMillis must be 1..10000, was " + c.exportTimeoutMillis());
            }
            if (c.permitCheckMillis() < 1 || c.permitCheckMillis() > 100) {
                throw new IllegalArgumentException("permitCheckMillis must be 1..100, was " + c.permitCheckMillis());
            }
            boolean headerMap = header.equals(HEADER_JETSON);
            List<ChannelSpec> channels = ChannelSpec.parseAll(c.pwm(), c.outputs(), c.inputs(), headerMap);
            return new Settings(id, headerMap, channels, hz, path("deviceTreeRoot", c.deviceTreeRoot()),
                    path("sysfsRoot", c.sysfsRoot()), path("devRoot", c.devRoot()), c.exportTimeoutMillis(), c.permitCheckMillis(),
                    c.unsupervised());
        }

        private static Path path(String name, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(name + " must be a directory, was empty");
            }
            return Path.of(value.trim());
        }
    }

    private final SysfsAccess sysfs;
    private final List<Thread> threads = new ArrayList<>();
    private GpioDriver gpioDriver;
    private Logger log;
    private volatile Settings settings;
    private MotionGuard guard;
    private JetsonPins pins;
    private volatile BoardChannels channels;
    private BoardServices services;
    private String model;
    private volatile boolean running;
    private volatile long safeStateFaults;

    public JetsonBoard() {
        this(SysfsAccess.FILES);
    }

    JetsonBoard(SysfsAccess sysfs) {
        this.sysfs = sysfs;
    }

    @Reference(name = "gpioDriver")
    void setGpioDriver(GpioDriver driver) {
        this.gpioDriver = driver;
    }

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    @Activate
    public void activate(Config config, BundleContext context) throws IOException {
        Settings s = Settings.of(config);
        model = checkMachine(s);
        guard = new MotionGuard(s.id(), s.unsupervised(), this::safeStateFailed);
        settings = s;
        pins = new JetsonPins(sysfs, gpioDriver, guard, this::safeStateFailed);
        try {
            channels = new BoardChannels(s.id(), model, "jetson", pins.open(s));
        } catch (IOException | RuntimeException e) {
            pins.release();
            throw e;
        }
        running = true;
        startThreads(s);
        if (context != null) {
            register(context, s);
        }
        announce(log, s.id(), s.unsupervised(), "board '{}' up on {}: {}", s.id(), model, summary());
    }

    @Modified
    public void modified(Config config) {
        Settings next = Settings.of(config);
        Settings current = settings;
        if (!next.id().equals(current.id()) || next.headerMap() != current.headerMap() || !next.channels().equals(current.channels())
                || !next.deviceTreeRoot().equals(current.deviceTreeRoot()) || !next.sysfsRoot().equals(current.sysfsRoot())
                || !next.devRoot().equals(current.devRoot()) || next.unsupervised() != current.unsupervised()) {
            throw new IllegalArgumentException("armature.board, header, channels, roots and unsupervised cannot change while the board runs; "
                    + "restart the bundle to change them. The previous configuration stays in force");
        }
        if (next.pwmFrequencyHz() != current.pwmFrequencyHz()) {
            for (Channel c : channels.list()) {
                if (c instanceof PwmOutput p) {
                    p.setFrequency(next.pwmFrequencyHz());
                }
            }
        }
        settings = next;
    }

    @Deactivate
    public void deactivate() {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.clear();
        shutDown(guard, services);
        services = null;
        pins.release();
    }

    /** @return the machine's name; throws when the header map is in use and the machine is not the kit it maps */
    private static String checkMachine(Settings s) throws IOException {
        Optional<DeviceTree> tree = DeviceTree.read(s.deviceTreeRoot());
        if (!s.headerMap()) {
            return tree.map(DeviceTree::name).orElse("a Linux machine without a device tree");
        }
        if (tree.isEmpty()) {
            throw new IllegalStateException("header " + HEADER_JETSON + " needs a Jetson, but there is no device tree at "
                    + s.deviceTreeRoot() + "; set header=none and name chips and lines to use another Linux machine");
        }
        DeviceTree t = tree.get();
        if (!t.isCompatibleWith(HeaderMap.COMPATIBLE)) {
            throw new IllegalStateException("header " + HEADER_JETSON + " drives a Jetson Orin Nano/NX developer kit, but this machine is '"
                    + t.name() + "' (compatible: " + String.join(", ", t.compatible())
                    + "); set header=none and name chips and lines to use another Linux machine");
        }
        return t.name();
    }


    private void startThreads(Settings s) {
        guard.start("armature-" + s.id() + "-permit", channels.actuators(), TimeUnit.MILLISECONDS.toNanos(s.permitCheckMillis()));
        for (Channel c : channels.list()) {
            if (c instanceof JetsonChannels.Input in) {
                threads.add(thread("armature-" + s.id() + "-edges-" + c.name(), () -> pumpEdges(in)));
            }
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    private Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> {
            toSafeState();
            if (log != null) {
                log.error("board '{}': thread {} failed, outputs driven safe: {}", settings.id(), th.getName(), e.toString());
            }
        });
        return t;
    }

    private void pumpEdges(JetsonChannels.Input input) {
        GpioEdge edge = new GpioEdge();
        while (running) {
            try {
                input.pump(edge, 100);
            } catch (IOException e) {
                if (running && log != null) {
                    log.error("board '{}': edges of {} stopped: {}", settings.id(), input.name(), e.getMessage());
                }
                return;
            }
        }
    }

    private void safeStateFailed(String channel, Exception e) {
        safeStateFaults++;
        if (log != null) {
            log.error("board '{}': {} could not be driven safe: {}", settings.id(), channel, e.getMessage());
        }
    }

    private void register(BundleContext context, Settings s) {
        services = BoardServices.registerChannels(context, s.id(), channels.list())
                .andBoard(this, Map.of(PROPERTY_COMPATIBLE, s.headerMap() ? HeaderMap.COMPATIBLE.toArray(new String[0]) : new String[] {"*"}));
    }

    private String summary() {
        List<String> parts = new ArrayList<>();
        for (ChannelType t : List.of(ChannelType.PWM, ChannelType.DIGITAL_OUTPUT, ChannelType.DIGITAL_INPUT)) {
            List<String> names = new ArrayList<>();
            for (ChannelSpec c : settings.channels()) {
                if (c.type() == t) {
                    names.add(c.name() + "@" + c.where());
                }
            }
            if (!names.isEmpty()) {
                parts.add(t.name().toLowerCase().replace('_', ' ') + " " + String.join(", ", names));
            }
        }
        return parts.isEmpty() ? "no channels" : String.join("; ", parts);
    }

    /** @return writes on the way to the safe state that failed (each is logged) */
    long safeStateFaults() {
        return safeStateFaults;
    }

    @Override
    protected MotionGuard guard() {
        return guard;
    }

    @Override
    protected BoardChannels boardChannels() {
        return channels;
    }
}
