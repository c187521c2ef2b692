package io.armature.motion.internal;

import java.util.LinkedHashMap;
import java.util.Map;

import io.armature.motion.CommandSource;
import io.armature.motion.DriveGeometry;

/**
 * The motion-command configuration in force: the command sources by name (priority, lease,
 * reset rights) and the drive's wheel loops and geometry. Immutable, swapped whole.
 */
record MotionSettings(Map<String, CommandSource> sources, DriveGeometry geometry) {

    /**
     * @throws IllegalArgumentException naming the entry that is not name:priority:leaseMillis[:reset], or a source listed twice
     */
    static MotionSettings of(MotionCommandService.Config c) {
        Map<String, CommandSource> sources = new LinkedHashMap<>();
        for (String entry : c.sources() == null ? new String[0] : c.sources()) {
            for (String one : entry.split(",")) {
                if (one.isBlank()) {
                    continue;
                }
                CommandSource s = parse(one.trim());
                if (sources.put(s.name(), s) != null) {
                    throw new IllegalArgumentException("source '" + s.name() + "' is listed twice");
                }
            }
        }
        return new MotionSettings(Map.copyOf(sources), new DriveGeometry(c.leftLoop().trim(), c.rightLoop().trim(), c.wheelRadius(), c.wheelBase()));
    }

    private static CommandSource parse(String entry) {
        String[] parts = entry.split(":");
        boolean reset = parts.length == 4 && parts[3].equals("reset");
        if (parts.length < 3 || parts.length > 4 || (parts.length == 4 && !reset) || !parts[0].matches("[a-z0-9_.-]+")) {
            throw new IllegalArgumentException("source '" + entry + "' must be name:priority:leaseMillis[:reset], for example rosbridge:20:500");
        }
        try {
            return new CommandSource(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]), reset);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("source '" + entry + "': priority and lease must be whole numbers");
        }
    }
}
