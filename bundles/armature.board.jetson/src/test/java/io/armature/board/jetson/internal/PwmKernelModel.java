package io.armature.board.jetson.internal;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's PWM sysfs class as an in-memory model that answers as the kernel does: only
 * {@code npwm}, {@code export} and {@code unexport} exist until a channel is exported; a second
 * export is {@code EBUSY}; any state with the duty above the period, or a write before a period
 * is set, is {@code EINVAL} and not applied; polarity changes only while disabled. Every
 * accepted write is logged in order.
 */
final class PwmKernelModel implements SysfsAccess {

    static final class Channel {
        long period;
        long duty;
        boolean enabled;
        String polarity = "normal";
    }

    private final Map<Path, Integer> chips = new HashMap<>();
    private final Map<Path, Channel> exported = new HashMap<>();
    final List<String> writes = new ArrayList<>();
    int refused;

    void addChip(Path chip, int npwm) {
        chips.put(chip, npwm);
    }

    Channel channel(Path chip, int n) {
        return exported.get(chip.resolve("pwm" + n));
    }

    @Override
    public synchronized String read(Path attribute) throws IOException {
        Path parent = attribute.getParent();
        String name = attribute.getFileName().toString();
        if (chips.containsKey(parent)) {
            return switch (name) {
                case "npwm" -> Integer.toString(chips.get(parent));
                case "export", "unexport" -> throw new IOException(attribute + ": Permission denied (write-only)");
                default -> throw new NoSuchFileException(attribute.toString());
            };
        }
        Channel c = exported.get(parent);
        if (c == null) {
            throw new NoSuchFileException(attribute.toString());
        }
        return switch (name) {
            case "period" -> Long.toString(c.period);
            case "duty_cycle" -> Long.toString(c.duty);
            case "enable" -> c.enabled ? "1" : "0";
            case "polarity" -> c.polarity;
            default -> throw new NoSuchFileException(attribute.toString());
        };
    }

    @Override
    public synchronized void write(Path attribute, String value) throws IOException {
        Path parent = attribute.getParent();
        String name = attribute.getFileName().toString();
        if (chips.containsKey(parent)) {
            int n = Integer.parseInt(value.strip());
            Path dir = parent.resolve("pwm" + n);
            switch (name) {
                case "export" -> {
                    if (n < 0 || n >= chips.get(parent)) {
                        throw error(attribute, "No such device (ENODEV)");
                    }
                    if (exported.containsKey(dir)) {
                        throw error(attribute, "Device or resource busy (EBUSY)");
                    }
                    exported.put(dir, new Channel());
                }
                case "unexport" -> {
                    if (exported.remove(dir) == null) {
                        throw error(attribute, "No such device (ENODEV)");
                    }
                }
                default -> throw new NoSuchFileException(attribute.toString());
            }
            writes.add(name + "=" + n);
            return;
        }
        Channel c = exported.get(parent);
        if (c == null) {
            throw new NoSuchFileException(attribute.toString());
        }
        String v = value.strip();
        long period = c.period;
        long duty = c.duty;
        boolean enabled = c.enabled;
        switch (name) {
            case "period" -> period = Long.parseLong(v);
            case "duty_cycle" -> duty = Long.parseLong(v);
            case "enable" -> {
                if (!v.equals("0") && !v.equals("1")) {
                    throw error(attribute, "Invalid argument (EINVAL)");
                }
                enabled = v.equals("1");
            }
            case "polarity" -> {
                if (!v.equals("normal") && !v.equals("inversed")) {
                    throw error(attribute, "Invalid argument (EINVAL)");
                }
                if (c.enabled) {
                    throw error(attribute, "Device or resource busy (EBUSY)");
                }
                c.polarity = v;
                writes.add(parent.getFileName() + "/polarity=" + v);
                return;
            }
            default -> throw new NoSuchFileException(attribute.toString());
        }
        // pwm_apply_state: a period is required and the duty may not exceed it
        if (period <= 0 || duty < 0 || duty > period) {
            throw error(attribute, "Invalid argument (EINVAL): period " + period + " ns, duty_cycle " + duty + " ns");
        }
        c.period = period;
        c.duty = duty;
        c.enabled = enabled;
        writes.add(parent.getFileName() + "/" + name + "=" + v);
    }

    private IOException error(Path attribute, String what) {
        refused++;
        return new IOException(attribute + ": " + what);
    }

    @Override
    public synchronized boolean writable(Path attribute) {
        Path parent = attribute.getParent();
        String name = attribute.getFileName().toString();
        if (chips.containsKey(parent)) {
            return name.equals("export") || name.equals("unexport");
        }
        return exported.containsKey(parent) && List.of("period", "duty_cycle", "enable", "polarity").contains(name);
    }
}
