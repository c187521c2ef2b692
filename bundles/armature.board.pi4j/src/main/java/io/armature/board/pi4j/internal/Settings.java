package io.armature.board.pi4j.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A validated board configuration: every channel spec parsed, every pin used once, every value
 * in range. Built from the component's {@link Pi4jBoard.Config}; any problem is one
 * {@link IllegalArgumentException} whose message names the entry and what is allowed.
 */
record Settings(String id, Providers providers, Path deviceTreeRoot, int pwmChip, int pwmFrequencyHz,
        List<PwmSpec> pwm, List<OutputSpec> outputs, List<InputSpec> inputs, List<BusSpec> buses,
        List<AdcSpec> adcs, Ads1115.Mode adcMode, int adcDataRate, boolean unsupervised) {

    /** Which Pi4J providers drive the pins. */
    enum Providers {
        /** GpioD for digital I/O, LinuxFS for hardware PWM and I2C: the kernel's own interfaces, Pi 4 and Pi 5. */
        LINUX,
        /** Pi4J's mock providers: no hardware, for tests and bench work. */
        MOCK
    }

    /** A PWM channel on a hardware PWM pin. */
    record PwmSpec(String name, int pin) {
    }

    /** A digital output and the level it returns to when safe. */
    record OutputSpec(String name, int pin, boolean safeLevel) {
    }

    /** A digital input: its pull resistor and its debounce time in µs. */
    record InputSpec(String name, int pin, Pull pull, int debounceMicros) {
    }

    enum Pull {
        UP, DOWN, OFF
    }

    /** An I2C bus exposed as a channel, {@code /dev/i2c-<bus>}. */
    record BusSpec(String name, int bus) {
    }

    /** One single-ended input of an ADS1115 on one of the buses. */
    record AdcSpec(String name, String bus, int address, int input, int fullScaleMillivolts) {
    }

    static Settings of(Pi4jBoard.Config c) {
        String id = c.armature_board() == null ? "" : c.armature_board().trim();
        if (!id.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("armature.board must be letters, digits, '.', '_' or '-', was '" + c.armature_board() + "'");
        }
        Providers providers = switch (String.valueOf(c.providers()).trim().toLowerCase(Locale.ROOT)) {
            case "linux" -> Providers.LINUX;
            case "mock" -> Providers.MOCK;
            default -> throw new IllegalArgumentException("providers must be linux (GpioD + LinuxFS, a real Pi) or mock, was '" + c.providers() + "'");
        };
        Path root;
        try {
            root = Path.of(String.valueOf(c.deviceTreeRoot()).trim());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("deviceTreeRoot is not a path: '" + c.deviceTreeRoot() + "'");
        }
        if (c.pwmChip() < -1 || c.pwmChip() > 31) {
            throw new IllegalArgumentException("pwmChip must be -1 (the Pi's default) or 0..31, was " + c.pwmChip());
        }
        double hz = c.pwmFrequencyHz();
        if (!(hz >= 1 && hz <= 1_000_000) || hz != Math.rint(hz)) {
            throw new IllegalArgumentException("pwmFrequencyHz must be a whole number of Hz in 1..1000000, was " + hz);
        }
        Ads1115.Mode mode = switch (String.valueOf(c.ads1115Mode()).trim().toLowerCase(Locale.ROOT)) {
            case "single" -> Ads1115.Mode.SINGLE;
            case "continuous" -> Ads1115.Mode.CONTINUOUS;
            default -> throw new IllegalArgumentException("ads1115Mode must be single or continuous, was '" + c.ads1115Mode() + "'");
        };
        Ads1115.checkDataRate(c.ads1115DataRate());

        Set<String> names = new HashSet<>();
        Map<Integer, String> pins = new HashMap<>();
        List<BusSpec> buses = new ArrayList<>();
        for (String e : entries(c.i2cBuses())) {
            String[] f = fields("i2cBuses", e, 2, 2, "name:bus");
            int bus = number("i2cBuses", e, f[1], 0, 31);
            buses.add(new BusSpec(name(names, "i2cBuses", f[0]), bus));
            if (bus == 1) { // /dev/i2c-1 is SDA1/SCL1 on BCM 2 and 3
                pin(pins, 2, f[0] + " (SDA)");
                pin(pins, 3, f[0] + " (SCL)");
            }
        }
        List<PwmSpec> pwm = new ArrayList<>();
        for (String e : entries(c.pwm())) {
            String[] f = fields("pwm", e, 2, 2, "name:BCM pin");
            int p = number("pwm", e, f[1], 0, RaspberryPi.MAX_BCM_PIN);
            if (!RaspberryPi.HARDWARE_PWM_PINS.contains(p)) {
                throw new IllegalArgumentException("pwm '" + e + "': " + RaspberryPi.notPwm(p));
            }
            pwm.add(new PwmSpec(name(names, "pwm", f[0]), pin(pins, p, f[0])));
        }
        List<OutputSpec> outputs = new ArrayList<>();
        for (String e : entries(c.outputs())) {
            String[] f = fields("outputs", e, 3, 3, "name:BCM pin:safe level (low|high)");
            boolean safe = switch (f[2].toLowerCase(Locale.ROOT)) {
                case "low" -> false;
                case "high" -> true;
                default -> throw new IllegalArgumentException("outputs '" + e + "': safe level must be low or high, was '" + f[2] + "'");
            };
            outputs.add(new OutputSpec(name(names, "outputs", f[0]), pin(pins, number("outputs", e, f[1], 0, RaspberryPi.MAX_BCM_PIN), f[0]), safe));
        }
        List<InputSpec> inputs = new ArrayList<>();
        for (String e : entries(c.inputs())) {
            String[] f = fields("inputs", e, 3, 4, "name:BCM pin:pull (up|down|off)[:debounce µs]");
            Pull pull = switch (f[2].toLowerCase(Locale.ROOT)) {
                case "up" -> Pull.UP;
                case "down" -> Pull.DOWN;
                case "off" -> Pull.OFF;
                default -> throw new IllegalArgumentException("inputs '" + e + "': pull must be up, down or off, was '" + f[2] + "'");
            };
            int debounce = f.length > 3 ? number("inputs", e, f[3], 0, 1_000_000) : 0;
            inputs.add(new InputSpec(name(names, "inputs", f[0]), pin(pins, number("inputs", e, f[1], 0, RaspberryPi.MAX_BCM_PIN), f[0]), pull, debounce));
        }
        List<AdcSpec> adcs = new ArrayList<>();
        Map<String, String> adcInputs = new HashMap<>();
        for (String e : entries(c.ads1115())) {
            String[] f = fields("ads1115", e, 5, 5, "name:I2C bus channel:address:input 0..3:full scale mV");
            String bus = f[1];
            if (buses.stream().noneMatch(b -> b.name().equals(bus))) {
                throw new IllegalArgumentException("ads1115 '" + e + "': no I2C bus '" + bus + "' in i2cBuses "
                        + buses.stream().map(BusSpec::name).toList());
            }
            int address = number("ads1115", e, f[2], 0x48, 0x4B);
            int input = number("ads1115", e, f[3], 0, 3);
            int fsr = number("ads1115", e, f[4], 0, 6144);
            try {
                Ads1115.checkFullScale(fsr);
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException("ads1115 '" + e + "': " + x.getMessage());
            }
            String key = bus + "/" + address + "/" + input;
            String other = adcInputs.putIfAbsent(key, f[0]);
            if (other != null) {
                throw new IllegalArgumentException("ads1115 '" + e + "': that input is already channel " + other);
            }
            adcs.add(new AdcSpec(name(names, "ads1115", f[0]), bus, address, input, fsr));
        }
        return new Settings(id, providers, root, c.pwmChip(), (int) hz, List.copyOf(pwm), List.copyOf(outputs), List.copyOf(inputs),
                List.copyOf(buses), List.copyOf(adcs), mode, c.ads1115DataRate(), c.unsupervised());
    }

    /** Entries may come one per array element or comma-separated in one string (a FileInstall .cfg line). */
    private static List<String> entries(String[] values) {
        List<String> out = new ArrayList<>();
        for (String v : values == null ? new String[0] : values) {
            for (String e : v.split(",")) {
                if (!e.isBlank()) {
                    out.add(e.trim());
                }
            }
        }
        return out;
    }

    private static String[] fields(String key, String entry, int min, int max, String form) {
        String[] f = entry.split(":", -1);
        for (int i = 0; i < f.length; i++) {
            f[i] = f[i].trim();
        }
        if (f.length < min || f.length > max) {
            throw new IllegalArgumentException(key + " '" + entry + "' must be " + form);
        }
        return f;
    }

    private static String name(Set<String> names, String key, String name) {
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException(key + ": channel name must be letters, digits, '.', '_' or '-', was '" + name + "'");
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException(key + ": channel name '" + name + "' is used twice");
        }
        return name;
    }

    private static int pin(Map<Integer, String> pins, int pin, String channel) {
        String other = pins.putIfAbsent(pin, channel);
        if (other != null) {
            throw new IllegalArgumentException("BCM pin " + pin + " of " + channel + " is already used by " + other);
        }
        return pin;
    }

    private static int number(String key, String entry, String text, int min, int max) {
        int v;
        try {
            v = text.startsWith("0x") || text.startsWith("0X") ? Integer.parseInt(text.substring(2), 16) : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " '" + entry + "': '" + text + "' is not a number");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " '" + entry + "': " + text + " must be " + min + ".." + max);
        }
        return v;
    }

    /** @return true when the channels (pins, buses, ADC inputs, providers) differ, not only live values */
    boolean sameChannelsAs(Settings o) {
        return providers == o.providers && deviceTreeRoot.equals(o.deviceTreeRoot) && pwmChip == o.pwmChip && pwm.equals(o.pwm)
                && outputs.equals(o.outputs) && inputs.equals(o.inputs) && buses.equals(o.buses) && adcs.equals(o.adcs)
                && adcMode == o.adcMode && adcDataRate == o.adcDataRate;
    }
}
