package io.armature.board.jetson.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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

import io.armature.board.jetson.gpio.GpioChip;
import io.armature.board.jetson.gpio.GpioDriver;
import io.armature.board.jetson.gpio.GpioEdge;
import io.armature.board.jetson.gpio.GpioLine;
import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.kit.board.BoardServices;
import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.kit.board.Channels;
import io.armature.kit.board.DeviceTree;
import io.armature.kit.board.MotionGuard;
import io.armature.hal.PwmOutput;

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
public final class JetsonBoard implements Board {

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
    private final Map<String, Channel> channels = new LinkedHashMap<>();
    private final List<GpioLine> lines = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private GpioDriver gpioDriver;
    private Logger log;
    private volatile Settings settings;
    private MotionGuard guard;
    private List<Actuator> actuators = List.of();
    private BoardServices services;
    private BoardInfo info;
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
        try {
            open(s);
        } catch (IOException | RuntimeException e) {
            release();
            throw e;
        }
        running = true;
        startThreads(s);
        if (context != null) {
            register(context, s);
        }
        if (log != null) {
            log.info("board '{}' up on {}: {}", s.id(), model, summary());
            if (s.unsupervised()) {
                log.warn("board '{}' is unsupervised: it moves with no safety supervisor; for a bench only", s.id());
            }
        }
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
            for (Channel c : channels.values()) {
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
        guard.close(); // stops the permit watcher and drives every output safe
        if (services != null) {
            services.close();
            services = null;
        }
        release();
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

    private void open(Settings s) throws IOException {
        Map<String, GpioChip> chips = new HashMap<>();
        try {
            JetsonChannels.FaultSink faults = this::safeStateFailed;
            for (ChannelSpec c : s.channels()) {
                Channel ch = switch (c.type()) {
                    case PWM -> openPwm(s, c, faults);
                    case DIGITAL_OUTPUT -> new JetsonChannels.Output(info(c, 1, c.safeLevel() ? "high" : "low"),
                            claim(chip(s, c, chips), c, true), c.safeLevel(), guard, faults);
                    default -> new JetsonChannels.Input(info(c, 1, ""), claim(chip(s, c, chips), c, false));
                };
                channels.put(c.name(), ch);
            }
        } finally {
            for (GpioChip chip : chips.values()) {
                chip.close(); // requested lines stay held by their own file descriptors
            }
        }
        List<ChannelInfo> infos = new ArrayList<>();
        for (Channel c : channels.values()) {
            infos.add(c.info());
        }
        info = new BoardInfo(s.id(), model, "jetson", infos);
        actuators = channels.values().stream().filter(Actuator.class::isInstance).map(Actuator.class::cast).toList();
    }

    private static ChannelInfo info(ChannelSpec c, int bits, String safeState) {
        String what = switch (c.type()) {
            case PWM -> "PWM";
            case DIGITAL_OUTPUT -> "output";
            default -> "input";
        };
        return new ChannelInfo(c.name(), c.type(), bits, what + " on " + c.describe(), safeState);
    }

    private JetsonChannels.Pwm openPwm(Settings s, ChannelSpec c, JetsonChannels.FaultSink faults) throws IOException {
        Path chip = pwmChip(s, c);
        int npwm = SysfsPwm.channels(sysfs, chip);
        if (c.line() >= npwm) {
            throw new IllegalArgumentException(c.name() + ": " + chip.getFileName() + " has channels 0.." + (npwm - 1) + ", not " + c.line());
        }
        long period = JetsonChannels.Pwm.periodNanos(s.pwmFrequencyHz());
        SysfsPwm pwm = new SysfsPwm(sysfs, chip, c.line());
        pwm.open(period, s.exportTimeoutMillis());
        // the Tegra controller's duty register is 8 bits; elsewhere the duty is as fine as a nanosecond of the period
        int bits = c.pin() != null ? HeaderMap.PWM_BITS : Math.min(16, 63 - Long.numberOfLeadingZeros(period));
        return new JetsonChannels.Pwm(info(c, bits, "duty 0"), pwm, s.pwmFrequencyHz(), guard, faults);
    }

    /** Finds pwmchipN: named directly, or the one whose device is the pin's PWM controller. */
    private static Path pwmChip(Settings s, ChannelSpec c) throws IOException {
        Path classDir = s.sysfsRoot().resolve("class").resolve("pwm");
        if (c.chip() != null) {
            Path chip = classDir.resolve(c.chip());
            if (!Files.isDirectory(chip)) {
                throw new IOException(c.name() + ": there is no " + chip + "; PWM chips: " + list(classDir, "pwmchip"));
            }
            return chip;
        }
        String controller = c.pin().pwmController();
        if (Files.isDirectory(classDir)) {
            try (Stream<Path> entries = Files.list(classDir)) {
                for (Path chip : (Iterable<Path>) entries.sorted()::iterator) {
                    Path real = chip.toRealPath();
                    for (Path element : real) {
                        if (element.toString().equals(controller)) {
                            return chip;
                        }
                    }
                }
            }
        }
        throw new IOException(c.name() + ": the PWM controller of " + c.describe() + ", " + controller + ", has no pwmchip under "
                + classDir + "; enable the pin's PWM function with NVIDIA's jetson-io.py");
    }

    private GpioChip chip(Settings s, ChannelSpec c, Map<String, GpioChip> open) throws IOException {
        if (c.chip() != null) {
            GpioChip chip = open.get(c.chip());
            if (chip == null) {
                chip = gpioDriver.open(s.devRoot().resolve(c.chip()));
                open.put(chip.name(), chip);
                open.put(c.chip(), chip);
            }
            return chip;
        }
        for (GpioChip chip : open.values()) {
            if (chip.label().equals(HeaderMap.GPIO_CONTROLLER)) {
                return chip;
            }
        }
        List<String> labels = new ArrayList<>();
        for (String name : list(s.devRoot(), "gpiochip")) {
            GpioChip chip = gpioDriver.open(s.devRoot().resolve(name));
            open.put(name, chip);
            labels.add(name + " (" + chip.label() + ")");
            if (chip.label().equals(HeaderMap.GPIO_CONTROLLER)) {
                return chip;
            }
        }
        throw new IOException(c.name() + ": no GPIO chip under " + s.devRoot() + " is " + HeaderMap.GPIO_CONTROLLER + "; chips: "
                + (labels.isEmpty() ? "none" : String.join(", ", labels)));
    }

    private GpioLine claim(GpioChip chip, ChannelSpec c, boolean output) throws IOException {
        if (c.line() >= chip.lines()) {
            throw new IllegalArgumentException(c.name() + ": " + chip.name() + " has lines 0.." + (chip.lines() - 1) + ", not " + c.line());
        }
        String consumer = "armature:" + c.name();
        GpioLine line = output ? chip.requestOutput(c.line(), c.safeLevel(), consumer) : chip.requestInput(c.line(), consumer);
        lines.add(line);
        return line;
    }

    private static List<String> list(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.matches(prefix + "\\d+"))
                    .sorted((a, b) -> Integer.compare(Integer.parseInt(a.substring(prefix.length())), Integer.parseInt(b.substring(prefix.length()))))
                    .toList();
        }
    }

    private void release() {
        for (GpioLine l : lines) {
            l.close();
        }
        lines.clear();
    }

    private void startThreads(Settings s) {
        guard.start("armature-" + s.id() + "-permit", actuators, TimeUnit.MILLISECONDS.toNanos(s.permitCheckMillis()));
        for (Channel c : channels.values()) {
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
        services = BoardServices.registerChannels(context, s.id(), channels.values())
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

    @Override
    public void permitMotion(long expiryNanos) {
        guard.permit().permit(expiryNanos);
    }

    @Override
    public void revokeMotion() {
        guard.revoke();
    }

    @Override
    public boolean motionPermitted() {
        return guard.permit().permitted();
    }

    @Override
    public long refusedWrites() {
        return guard.permit().refusedWrites();
    }

    /** @return times the board drove its actuators safe because the permit lapsed */
    long permitLapses() {
        return guard.lapses();
    }

    /** @return writes on the way to the safe state that failed (each is logged) */
    long safeStateFaults() {
        return safeStateFaults;
    }

    @Override
    public BoardInfo info() {
        return info;
    }

    @Override
    public List<Channel> channels() {
        return List.copyOf(channels.values());
    }

    @Override
    public <T extends Channel> T channel(String name, Class<T> type) {
        return Channels.find(settings.id(), channels, name, type);
    }
}
