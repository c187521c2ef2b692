package io.armature.runtime.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.armature.kit.board.DeviceTree;

/**
 * Names the machine from its device tree and tells whether an installed board backend drives
 * it. A host backend declares the device-tree {@code compatible} entries it drives
 * ({@link io.armature.hal.Board#PROPERTY_COMPATIBLE}, {@code *} for any Linux machine); a
 * simulated board fits any machine; boards without the property (a microcontroller on a UART)
 * are not host backends and fit nothing.
 */
final class BoardDetection {

    /**
     * @param name       the backend, for messages: its component or board id
     * @param compatible the entries it declares
     */
    record Backend(String name, List<String> compatible) {
    }

    private BoardDetection() {
    }

    /** @return one line naming the machine */
    static String machine(Optional<DeviceTree> tree, String root) {
        if (tree.isEmpty()) {
            return "machine: no device tree at " + root + " (a PC or a board without one)";
        }
        DeviceTree t = tree.get();
        return "machine: " + t.name() + " (compatible: " + String.join(", ", t.compatible()) + ")";
    }

    /**
     * @return the error line when host backends are installed but none fits and no simulated
     *         board runs; empty when a backend fits or none is installed
     */
    static Optional<String> mismatch(Optional<DeviceTree> tree, List<Backend> installed, boolean simulated) {
        if (simulated || installed.isEmpty()) {
            return Optional.empty();
        }
        List<String> offered = new ArrayList<>();
        for (Backend b : installed) {
            if (b.compatible().contains("*") || tree.map(t -> t.isCompatibleWith(b.compatible())).orElse(false)) {
                return Optional.empty();
            }
            offered.add(b.name() + " drives " + String.join(", ", b.compatible()));
        }
        String machine = tree.map(t -> "'" + t.name() + "' (compatible: " + String.join(", ", t.compatible()) + ")")
                .orElse("a machine without a device tree");
        return Optional.of("no installed board backend drives this machine, " + machine + ": " + String.join("; ", offered));
    }
}
