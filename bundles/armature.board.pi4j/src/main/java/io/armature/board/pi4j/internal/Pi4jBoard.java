package io.armature.board.pi4j.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
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

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.io.gpio.digital.PullResistance;
import com.pi4j.io.pwm.PwmType;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalInputProvider;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalOutputProvider;
import com.pi4j.plugin.linuxfs.provider.i2c.LinuxFsI2CProvider;
import com.pi4j.plugin.linuxfs.provider.pwm.LinuxFsPwmProvider;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInputProvider;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalOutputProvider;
import com.pi4j.plugin.mock.provider.i2c.MockI2CProvider;
import com.pi4j.plugin.mock.provider.pwm.MockPwmProvider;

import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.PwmOutput;
import io.armature.kit.board.BoardChannels;
import io.armature.kit.board.BoardServices;
import io.armature.kit.board.DeviceTree;
import io.armature.kit.board.FixedSettings;
import io.armature.kit.board.GuardedBoard;
import io.armature.kit.board.MotionGuard;

/**
 * A Raspberry Pi 4 or 5 through Pi4J 2. Pi4J's ServiceLoader finds no plugins inside OSGi, so
 * the context is built with explicit providers chosen by {@code providers}: {@code linux} is
 * GpioD (the GPIO character device, edge events from the kernel) for digital I/O and LinuxFS for
 * hardware PWM ({@code /sys/class/pwm}) and I2C ({@code /dev/i2c-N}), the pair Pi4J 2.7 supports
 * on both the Pi 4 and the Pi 5 without root or a daemon (pigpio does not drive the Pi 5's
 * RP1); {@code mock} is Pi4J's mock providers. The Pi4J context is also registered as a service
 * (with {@code armature.board}) so other Pi4J code shares it instead of opening the pins twice.
 *
 * <p>The {@code Board} service (with {@link Board#PROPERTY_COMPATIBLE} the Pi 4 and 5 entries of
 * {@link RaspberryPi#COMPATIBLE}) is registered by {@code activate} once the board is up, not
 * by SCR: a refused machine or configuration fails once, with one line, instead of again for
 * every bundle that asks for the board.
 */
@Component(service = {}, immediate = true, configurationPid = Pi4jBoard.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Pi4jBoard.Config.class)
public final class Pi4jBoard extends GuardedBoard {

    public static final String PID = "armature.board.pi4j";

    /** How often the motion permit is checked, in ns: the actuators go safe within about a millisecond of a lapse. */
    private static final long PERMIT_CHECK_NANOS = 1_000_000L;

    @ObjectClassDefinition(name = "Armature Raspberry Pi board (Pi4J)",
            description = "A Raspberry Pi 4 or 5: hardware PWM, digital outputs and inputs, I2C buses and ADS1115 ADC inputs, by BCM pin.")
    public @interface Config {
        @AttributeDefinition(name = "Board id", description = "Board id, also the armature.board service property. Fixed while the board runs.")
        String armature_board() default "pi4j";

        @AttributeDefinition(name = "Providers", description = "linux: Pi4J's GpioD (digital I/O) and LinuxFS (PWM, I2C) providers, on a Pi 4 or 5; "
                + "mock: Pi4J's mock providers, no hardware. Fixed while the board runs.")
        String providers() default "linux";

        @AttributeDefinition(name = "Device tree", description = "Where the machine's device tree is read (model, compatible). Fixed while the board runs.")
        String deviceTreeRoot() default "/proc/device-tree";

        @AttributeDefinition(name = "PWM chip", description = "The /sys/class/pwm/pwmchipN of the hardware PWM; -1 for the Pi's default "
                + "(0 on a Pi 4, 2 on a Pi 5).")
        int pwmChip() default -1;

        @AttributeDefinition(name = "PWM frequency (Hz)", description = "Initial frequency of every PWM channel, 1..1000000 Hz.")
        double pwmFrequencyHz() default 20000.0;

        @AttributeDefinition(name = "PWM channels", description = "name:BCM pin, comma-separated; hardware PWM pins only: 12, 13, 18, 19. "
                + "Safe state: duty 0.")
        String[] pwm() default {};

        @AttributeDefinition(name = "Digital outputs", description = "name:BCM pin:safe level (low or high), comma-separated. "
                + "An output starts at, and returns to, its safe level.")
        String[] outputs() default {};

        @AttributeDefinition(name = "Digital inputs", description = "name:BCM pin:pull (up, down or off)[:debounce µs, 0..1000000], comma-separated.")
        String[] inputs() default {};

        @AttributeDefinition(name = "I2C buses", description = "name:bus number, comma-separated; bus 1 is /dev/i2c-1 on BCM 2 (SDA) and 3 (SCL).")
        String[] i2cBuses() default {};

        @AttributeDefinition(name = "ADS1115 inputs", description = "name:I2C bus channel:address (0x48..0x4B):input (0..3, AINx to GND):"
                + "full scale mV (6144, 4096, 2048, 1024, 512 or 256), comma-separated.")
        String[] ads1115() default {};

        @AttributeDefinition(name = "ADS1115 mode", description = "single: one conversion per read (the chip sleeps between); continuous: "
                + "the chip converts all the time and a read of the same input returns at once.")
        String ads1115Mode() default "single";

        @AttributeDefinition(name = "ADS1115 data rate (samples/s)", description = "8, 16, 32, 64, 128, 250, 475 or 860; a conversion takes 1/rate.")
        int ads1115DataRate() default 128;

        @AttributeDefinition(name = "Unsupervised (bench only)", description = "true lets the board move with no safety supervisor "
                + "feeding its motion permit: actuators may leave their safe state before the first feed. For a bench, never a robot. "
                + "When false (the default) the board refuses motion until a supervisor feeds it. Fixed while the board runs.")
        boolean unsupervised() default false;
    }

    private Logger log;
    private BundleContext context;
    private volatile Settings settings;
    private volatile Hardware hardware;
    private String model;
    private ServiceRegistration<Board> boardRegistration;

    /** Everything built from one set of channel settings; replaced whole when they change. */
    private record Hardware(Context pi4j, MotionGuard guard, BoardChannels channels, List<Pi4jChannels.Input> inputs,
            BoardServices services, ServiceRegistration<Context> pi4jRegistration) {
    }

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    /** For tests outside a framework. */
    public Pi4jBoard() {
    }

    @Activate
    public void activate(Config config, BundleContext context) {
        Settings s = Settings.of(config);
        this.context = context;
        this.model = identify(s);
        hardware = build(s, false);
        settings = s;
        if (context != null) {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(PROPERTY_BOARD, s.id());
            props.put(PROPERTY_COMPATIBLE, RaspberryPi.COMPATIBLE.toArray(new String[0]));
            boardRegistration = context.registerService(Board.class, this, props);
        }
        announce(log, s.id(), s.unsupervised(), "Raspberry Pi board '{}' up: {}, {} channels, {} providers", s.id(), model,
                hardware.channels().size(), s.providers().name().toLowerCase());
    }

    @Modified
    public void modified(Config config) {
        Settings next = Settings.of(config);
        Settings current = settings;
        new FixedSettings().compare("armature.board", current.id(), next.id()).compare("providers", current.providers(), next.providers())
                .compare("deviceTreeRoot", current.deviceTreeRoot(), next.deviceTreeRoot())
                .compare("unsupervised", current.unsupervised(), next.unsupervised()).refuseChanges();
        if (next.sameChannelsAs(current)) {
            if (next.pwmFrequencyHz() != current.pwmFrequencyHz()) {
                for (Channel c : hardware.channels().list()) {
                    if (c instanceof PwmOutput p) {
                        p.setFrequency(next.pwmFrequencyHz());
                    }
                }
            }
            settings = next;
            return;
        }
        // New channels: everything goes safe and is rebuilt. If the new pins cannot be opened,
        // the previous channels are rebuilt and the error reported. A permit that was armed stays
        // armed (revoked until the next feed): an unsupervised board does not become free to move.
        Hardware old = hardware;
        boolean armed = old.guard().permit().armed();
        teardown(old);
        try {
            hardware = build(next, armed);
            settings = next;
        } catch (RuntimeException e) {
            hardware = build(current, armed);
            throw new IllegalArgumentException("new channels refused, the previous ones are back: " + e.getMessage(), e);
        }
        if (log != null) {
            log.info("Raspberry Pi board '{}' reconfigured: {} channels", next.id(), hardware.channels().size());
        }
    }

    @Deactivate
    public void deactivate() {
        if (boardRegistration != null) {
            try {
                boardRegistration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it while the bundle stopped
            }
            boardRegistration = null;
        }
        Hardware h = hardware;
        if (h != null) {
            teardown(h);
        }
    }

    /**
     * Names the machine from its device tree; refuses a machine that is not a Pi 4 or 5 when
     * real providers would drive its pins.
     */
    private static String identify(Settings s) {
        Optional<DeviceTree> tree;
        try {
            tree = DeviceTree.read(s.deviceTreeRoot());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the device tree at " + s.deviceTreeRoot() + ": " + e.getMessage(), e);
        }
        boolean pi = tree.isPresent() && tree.get().isCompatibleWith(RaspberryPi.COMPATIBLE);
        if (s.providers() == Settings.Providers.LINUX && !pi) {
            throw new IllegalStateException("this machine is not a Raspberry Pi 4 or 5 ("
                    + tree.map(t -> "device tree: " + t.name() + ", compatible " + t.compatible()).orElse("no device tree at " + s.deviceTreeRoot())
                    + "); armature.board.pi4j drives " + RaspberryPi.COMPATIBLE + ". Use providers=mock to run without one");
        }
        if (s.providers() == Settings.Providers.MOCK) {
            return (pi ? tree.get().name() : "Raspberry Pi 4/5") + " (Pi4J mock providers)";
        }
        return tree.get().name();
    }

    /** @param armed true when the permit of the channels this replaces was fed or revoked: the new one starts revoked */
    private Hardware build(Settings s, boolean armed) {
        Optional<DeviceTree> tree;
        try {
            tree = DeviceTree.read(s.deviceTreeRoot());
        } catch (IOException e) {
            tree = Optional.empty();
        }
        RaspberryPi.Generation generation = RaspberryPi.generation(tree.orElse(null));
        Context pi4j = newContext(s, generation);
        Map<String, Channel> channels = new LinkedHashMap<>();
        List<Pi4jChannels.Input> inputs = new ArrayList<>();
        MotionGuard guard = new MotionGuard(s.id(), s.unsupervised(), this::safeStateFailed);
        if (armed) {
            guard.permit().revoke();
        }
        BoardChannels built;
        try {
            for (Settings.PwmSpec p : s.pwm()) {
                int channel = generation.pwmChannel(p.pin());
                for (Channel c : channels.values()) {
                    if (c instanceof Pi4jChannels.Pwm && c.info().description().contains("PWM channel " + channel + ",")) {
                        throw new IllegalArgumentException("pwm " + p.name() + " on BCM " + p.pin() + " is PWM channel " + channel + ", as "
                                + c.name() + " is; on a " + (generation == RaspberryPi.Generation.PI4 ? "Pi 4 pins 12/18 and 13/19" : "Pi 5 each pin")
                                + " share a channel");
                    }
                }
                com.pi4j.io.pwm.Pwm pwm = pi4j.create(com.pi4j.io.pwm.Pwm.newConfigBuilder(pi4j).id(pi4jId(p.name()))
                        .address(channel).pwmType(PwmType.HARDWARE).frequency(s.pwmFrequencyHz()).initial(0).shutdown(0).build());
                channels.put(p.name(), new Pi4jChannels.Pwm(p.name(), "hardware PWM on BCM " + p.pin() + " (PWM channel " + channel + ", chip "
                        + pwmChip(s, generation) + ")", pwm, s.pwmFrequencyHz(), guard));
            }
            for (Settings.OutputSpec o : s.outputs()) {
                DigitalState safe = o.safeLevel() ? DigitalState.HIGH : DigitalState.LOW;
                var out = pi4j.create(com.pi4j.io.gpio.digital.DigitalOutput.newConfigBuilder(pi4j).id(pi4jId(o.name()))
                        .address(o.pin()).initial(safe).shutdown(safe).build());
                channels.put(o.name(), new Pi4jChannels.Output(o.name(), "digital output on BCM " + o.pin(), out, o.safeLevel(), guard));
            }
            for (Settings.InputSpec i : s.inputs()) {
                PullResistance pull = switch (i.pull()) {
                    case UP -> PullResistance.PULL_UP;
                    case DOWN -> PullResistance.PULL_DOWN;
                    case OFF -> PullResistance.OFF;
                };
                var in = pi4j.create(com.pi4j.io.gpio.digital.DigitalInput.newConfigBuilder(pi4j).id(pi4jId(i.name()))
                        .address(i.pin()).pull(pull).debounce(0L).build());
                Pi4jChannels.Input input = new Pi4jChannels.Input(i.name(), "digital input on BCM " + i.pin() + ", pull "
                        + i.pull().name().toLowerCase() + (i.debounceMicros() > 0 ? ", debounce " + i.debounceMicros() + " µs" : ""), in, i.debounceMicros());
                inputs.add(input);
                channels.put(i.name(), input);
            }
            Map<String, Pi4jChannels.Bus> buses = new HashMap<>();
            for (Settings.BusSpec b : s.buses()) {
                Pi4jChannels.Bus bus = new Pi4jChannels.Bus(b.name(), "I2C bus /dev/i2c-" + b.bus(), pi4j, b.bus(), guard);
                buses.put(b.name(), bus);
                channels.put(b.name(), bus);
            }
            Map<String, Ads1115> chips = new HashMap<>();
            for (Settings.AdcSpec a : s.adcs()) {
                Ads1115 chip = chips.computeIfAbsent(a.bus() + "/" + a.address(),
                        k -> new Ads1115(buses.get(a.bus()), a.address(), s.adcMode(), s.adcDataRate()));
                channels.put(a.name(), new Pi4jChannels.Adc(a.name(), String.format("ADS1115 at 0x%02X on %s, AIN%d, ±%d mV", a.address(), a.bus(),
                        a.input(), a.fullScaleMillivolts()), chip, a.input(), a.fullScaleMillivolts()));
            }
            built = new BoardChannels(s.id(), model, "pi4j", channels.values());
        } catch (RuntimeException e) {
            guard.close();
            pi4j.shutdown();
            throw e;
        }
        guard.start("armature-pi4j-permit-" + s.id(), built.actuators(), PERMIT_CHECK_NANOS);
        BoardServices services = null;
        ServiceRegistration<Context> pi4jRegistration = null;
        if (context != null) {
            services = BoardServices.registerChannels(context, s.id(), built.list());
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(PROPERTY_BOARD, s.id());
            pi4jRegistration = context.registerService(Context.class, pi4j, props);
        }
        return new Hardware(pi4j, guard, built, inputs, services, pi4jRegistration);
    }

    private static Context newContext(Settings s, RaspberryPi.Generation generation) {
        var builder = Pi4J.newContextBuilder().noAutoDetect();
        if (s.providers() == Settings.Providers.MOCK) {
            builder.add(MockDigitalInputProvider.newInstance(), MockDigitalOutputProvider.newInstance(), MockPwmProvider.newInstance(),
                    MockI2CProvider.newInstance());
        } else {
            builder.add(GpioDDigitalInputProvider.newInstance(), GpioDDigitalOutputProvider.newInstance(),
                    LinuxFsPwmProvider.newInstance(pwmChip(s, generation)), LinuxFsI2CProvider.newInstance());
        }
        return builder.build();
    }

    private static int pwmChip(Settings s, RaspberryPi.Generation generation) {
        return s.pwmChip() >= 0 ? s.pwmChip() : generation.defaultPwmChip;
    }

    private static String pi4jId(String channel) {
        return channel.replaceAll("[^A-Za-z0-9]", "-");
    }

    private void safeStateFailed(String channel, RuntimeException e) {
        if (log != null) {
            log.error("Raspberry Pi board '{}': {} could not be driven safe: {}", settings == null ? "?" : settings.id(), channel, e.toString());
        }
    }

    private static void teardown(Hardware h) {
        shutDown(h.guard(), h.services());
        if (h.pi4jRegistration() != null) {
            try {
                h.pi4jRegistration().unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it while the bundle stopped
            }
        }
        for (Pi4jChannels.Input i : h.inputs()) {
            i.close();
        }
        h.pi4j().shutdown(); // each output goes to its configured shutdown state: the safe level, duty 0
    }

    /** @return the Pi4J context, for tests that drive the mock providers */
    Context pi4j() {
        return hardware.pi4j();
    }

    @Override
    protected MotionGuard guard() {
        return hardware.guard();
    }

    @Override
    protected BoardChannels boardChannels() {
        Hardware h = hardware;
        return h == null ? null : h.channels();
    }
}
