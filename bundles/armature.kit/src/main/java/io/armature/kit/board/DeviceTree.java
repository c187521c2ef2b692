package io.armature.kit.board;

import io.armature.hal.Board;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the Linux device tree says this machine is: its {@code model} and its {@code compatible}
 * list, most specific first (for example {@code raspberrypi,4-model-b}, {@code brcm,bcm2711}).
 * Board backends use it to name the board and to refuse a machine they do not drive.
 *
 * @param model      the {@code model} string, for example "Raspberry Pi 4 Model B Rev 1.4"
 * @param compatible the {@code compatible} entries in the order the tree lists them
 */
public record DeviceTree(String model, List<String> compatible) {

    /** Where Linux shows the device tree; a test points a backend at a fake tree instead. */
    public static final Path DEFAULT_ROOT = Path.of("/proc/device-tree");

    public DeviceTree {
        Objects.requireNonNull(model, "model");
        compatible = List.copyOf(compatible);
    }

    /**
     * Reads {@code model} and {@code compatible} under {@code root}.
     *
     * @return empty when the machine has no device tree (a PC, a laptop): there is no
     *         {@code compatible} file under {@code root}
     * @throws IOException when the files exist but cannot be read
     */
    public static Optional<DeviceTree> read(Path root) throws IOException {
        byte[] compatible;
        try {
            compatible = readAll(root.resolve("compatible"));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        String model;
        try {
            List<String> m = strings(readAll(root.resolve("model")));
            model = m.isEmpty() ? "" : m.get(0);
        } catch (NoSuchFileException e) {
            model = "";
        }
        return Optional.of(new DeviceTree(model, strings(compatible)));
    }

    /** @return true when any of {@code entries} is in the compatible list */
    public boolean isCompatibleWith(List<String> entries) {
        for (String e : entries) {
            if (compatible.contains(e)) {
                return true;
            }
        }
        return false;
    }

    /** @return the model, or the first compatible entry when the tree names no model */
    public String name() {
        if (!model.isEmpty()) {
            return model;
        }
        return compatible.isEmpty() ? "unknown board" : compatible.get(0);
    }

    // procfs and sysfs report a size of 0 or 4096: read the stream, never trust the size
    private static byte[] readAll(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readAllBytes();
        }
    }

    /** Device-tree string lists are NUL-separated and NUL-terminated. */
    private static List<String> strings(byte[] raw) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= raw.length; i++) {
            if (i == raw.length || raw[i] == 0) {
                if (i > start) {
                    out.add(new String(raw, start, i - start, StandardCharsets.US_ASCII).trim());
                }
                start = i + 1;
            }
        }
        return out;
    }
}
