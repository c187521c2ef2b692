package io.armature.board.jetson.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.armature.board.jetson.gpio.GpioChip;
import io.armature.board.jetson.gpio.GpioDriver;
import io.armature.board.jetson.gpio.GpioLine;
import io.armature.hal.Channel;
import io.armature.kit.board.MotionGuard;

/**
 * Opens a Linux board's configured channels: finds each PWM chip under sysfs (named, or the one
 * whose device is a header pin's PWM controller) and each GPIO chip under {@code /dev}, claims
 * the lines, and releases them again. Outputs are requested at their safe level.
 */
final class JetsonPins {

    private final SysfsAccess sysfs;
    private final GpioDriver driver;
    private final MotionGuard guard;
    private final JetsonChannels.FaultSink faults;
    private final List<GpioLine> lines = new ArrayList<>();

    JetsonPins(SysfsAccess sysfs, GpioDriver driver, MotionGuard guard, JetsonChannels.FaultSink faults) {
        this.sysfs = sysfs;
        this.driver = driver;
        this.guard = guard;
        this.faults = faults;
    }

    /**
     * Opens every configured channel, in the configured order.
     *
     * @throws IOException when a chip, line or PWM channel cannot be opened; what was claimed
     *                     before stays claimed until {@link #release()}
     */
    List<Channel> open(JetsonBoard.Settings s) throws IOException {
        Map<String, GpioChip> chips = new HashMap<>();
        List<Channel> channels = new ArrayList<>();
        try {
            for (ChannelSpec c : s.channels()) {
                Channel ch = switch (c.type()) {
                    case PWM -> openPwm(s, c);
                    case DIGITAL_OUTPUT -> new JetsonChannels.Output(c.name(), "output on " + c.describe(),
                            claim(chip(s, c, chips), c, true), c.safeLevel(), guard, faults);
                    default -> new JetsonChannels.Input(c.name(), "input on " + c.describe(), claim(chip(s, c, chips), c, false));
                };
                channels.add(ch);
            }
        } finally {
            for (GpioChip chip : chips.values()) {
                chip.close(); // requested lines stay held by their own file descriptors
            }
        }
        return channels;
    }

    private JetsonChannels.Pwm openPwm(JetsonBoard.Settings s, ChannelSpec c) throws IOException {
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
        return new JetsonChannels.Pwm(c.name(), bits, "PWM on " + c.describe(), pwm, s.pwmFrequencyHz(), guard, faults);
    }

    /** Finds pwmchipN: named directly, or the one whose device is the pin's PWM controller. */
    private static Path pwmChip(JetsonBoard.Settings s, ChannelSpec c) throws IOException {
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

    private GpioChip chip(JetsonBoard.Settings s, ChannelSpec c, Map<String, GpioChip> open) throws IOException {
        if (c.chip() != null) {
            GpioChip chip = open.get(c.chip());
            if (chip == null) {
                chip = driver.open(s.devRoot().resolve(c.chip()));
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
            GpioChip chip = driver.open(s.devRoot().resolve(name));
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

    /** Releases every line claimed, also after a failed {@link #open}. */
    void release() {
        for (GpioLine l : lines) {
            l.close();
        }
        lines.clear();
    }
}
