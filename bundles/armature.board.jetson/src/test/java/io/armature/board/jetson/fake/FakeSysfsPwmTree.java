package io.armature.board.jetson.fake;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A real directory that a background thread makes look like the kernel's PWM class, for tests
 * of code that does real file I/O: {@code class/pwm/pwmchipN} is a symbolic link to the chip
 * under {@code devices/platform/bus@0/<controller>/pwm/}, as on a Jetson; a number written to
 * {@code export} makes {@code pwmM/} appear moments later with {@code period}, {@code duty_cycle},
 * {@code enable} and {@code polarity} (as the kernel plus udev do), {@code unexport} removes it.
 * A file cannot refuse a write, so instead of failing with {@code EINVAL} it records every state
 * the kernel would have refused (duty above period, enabled without a period, a second export)
 * in {@link #violations()}.
 */
public final class FakeSysfsPwmTree implements AutoCloseable {

    private record Chip(Path dir, int npwm) {
    }

    private final Path root;
    private final List<Chip> chips = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Thread kernel;
    private volatile boolean running = true;

    /** @param root the sysfs root the backend is configured with */
    public FakeSysfsPwmTree(Path root) {
        this.root = root;
        this.kernel = new Thread(this::run, "fake-sysfs-pwm");
        kernel.setDaemon(true);
        kernel.start();
    }

    /** Adds {@code pwmchipN} for a controller such as {@code 32c0000.pwm} with {@code npwm} channels. */
    public Path addChip(int number, String controller, int npwm) throws IOException {
        Path dir = Files.createDirectories(root.resolve("devices/platform/bus@0").resolve(controller).resolve("pwm/pwmchip" + number));
        Files.writeString(dir.resolve("npwm"), npwm + "\n");
        Files.writeString(dir.resolve("export"), "");
        Files.writeString(dir.resolve("unexport"), "");
        Path link = Files.createDirectories(root.resolve("class/pwm")).resolve("pwmchip" + number);
        Files.createSymbolicLink(link, link.getParent().relativize(dir));
        chips.add(new Chip(dir, npwm));
        return link;
    }

    /** @return the value of {@code class/pwm/pwmchipN/pwmM/<attribute>}, or null when it does not exist */
    public String attribute(int chip, int channel, String attribute) throws IOException {
        Path p = root.resolve("class/pwm/pwmchip" + chip + "/pwm" + channel + "/" + attribute);
        return Files.exists(p) ? Files.readString(p).strip() : null;
    }

    /** @return states the kernel would have refused, in the order they were seen */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    private void run() {
        while (running) {
            for (Chip c : chips) {
                try {
                    step(c);
                } catch (IOException | RuntimeException e) {
                    violations.add(c.dir().getFileName() + ": " + e);
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private void step(Chip c) throws IOException {
        String export = take(c.dir().resolve("export"));
        if (!export.isEmpty()) {
            int n = Integer.parseInt(export);
            Path dir = c.dir().resolve("pwm" + n);
            if (n < 0 || n >= c.npwm()) {
                violations.add("export " + n + ": No such device (pwmchip has " + c.npwm() + " channels)");
            } else if (Files.exists(dir)) {
                violations.add("export " + n + ": Device or resource busy (already exported)");
            } else {
                Path staging = Files.createDirectories(c.dir().resolve(".pwm" + n));
                Files.writeString(staging.resolve("period"), "0\n");
                Files.writeString(staging.resolve("duty_cycle"), "0\n");
                Files.writeString(staging.resolve("enable"), "0\n");
                Files.writeString(staging.resolve("polarity"), "normal\n");
                Files.move(staging, dir);
            }
        }
        String unexport = take(c.dir().resolve("unexport"));
        if (!unexport.isEmpty()) {
            Path dir = c.dir().resolve("pwm" + Integer.parseInt(unexport));
            if (!Files.exists(dir)) {
                violations.add("unexport " + unexport + ": No such device (not exported)");
            } else {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        for (int n = 0; n < c.npwm(); n++) {
            Path dir = c.dir().resolve("pwm" + n);
            if (Files.isDirectory(dir)) {
                check(dir);
            }
        }
    }

    private final List<String> lastStates = new ArrayList<>();

    private void check(Path dir) throws IOException {
        // the files change one at a time while they are read: judge only a state seen twice in a row
        String first = snapshot(dir);
        String period = read(dir.resolve("period"));
        String duty = read(dir.resolve("duty_cycle"));
        String enable = read(dir.resolve("enable"));
        if (period.isEmpty() || duty.isEmpty() || enable.isEmpty() || !first.equals(period + " " + duty + " " + enable)) {
            return; // caught between writes; the next look sees the settled state
        }
        long p = Long.parseLong(period);
        long d = Long.parseLong(duty);
        String state = dir.getFileName() + " period=" + p + " duty_cycle=" + d + " enable=" + enable;
        if (lastStates.contains(state)) {
            return;
        }
        lastStates.add(state);
        if (d > p) {
            violations.add(state + ": duty_cycle above period (EINVAL)");
        }
        if (p == 0 && (d != 0 || enable.equals("1"))) {
            violations.add(state + ": written before a period was set (EINVAL)");
        }
    }

    private static String snapshot(Path dir) throws IOException {
        return read(dir.resolve("period")) + " " + read(dir.resolve("duty_cycle")) + " " + read(dir.resolve("enable"));
    }

    private static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.US_ASCII).strip();
    }

    private static String take(Path file) throws IOException {
        String v = read(file);
        if (!v.isEmpty()) {
            Files.writeString(file, "");
        }
        return v;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        kernel.join(1000);
    }
}
