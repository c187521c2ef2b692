package io.armature.safety.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The supervisor's configuration in force: immutable, swapped whole when the configuration
 * changes. The watchdog's device and timeout are taken at start and on a change of either.
 */
record Settings(long cycleNanos, long permitNanos, String[] requiredBoards, String[] requiredLoops, String[] watchedStreams,
        long stallNanos, long maxInvalidPerSecond, String estopBoard, String estopChannel, long debounceNanos, long watchdogFeedNanos,
        String watchdogDevice, int watchdogTimeoutSeconds, int startupGraceMillis, int realTimePriority) {

    /** @throws IllegalArgumentException naming the first bad value */
    static Settings of(Supervisor.Config config) {
        range("cycleMicros", config.cycleMicros(), 100, 100_000);
        range("permitMillis", config.permitMillis(), 1, 1000);
        range("estopDebounceMillis", config.estopDebounceMillis(), 0, 500);
        range("watchdogFeedMillis", config.watchdogFeedMillis(), 10, 60_000);
        range("watchdogTimeoutSeconds", config.watchdogTimeoutSeconds(), 0, 3600);
        if (config.watchdogTimeoutSeconds() > 0 && 2L * config.watchdogFeedMillis() > config.watchdogTimeoutSeconds() * 1000L) {
            throw new IllegalArgumentException("watchdogTimeoutSeconds " + config.watchdogTimeoutSeconds() + " is less than twice watchdogFeedMillis "
                    + config.watchdogFeedMillis() + ": one late feed would reset the machine");
        }
        range("streamStallMillis", config.streamStallMillis(), 5, 60_000);
        range("maxInvalidPerSecond", config.maxInvalidPerSecond(), 0, 100_000);
        range("startupGraceMillis", config.startupGraceMillis(), 0, 600_000);
        range("realTimePriority", config.realTimePriority(), 0, 99);
        String estop = config.estopInput() == null ? "" : config.estopInput().trim();
        if (!estop.isEmpty() && !isBoardChannel(estop)) {
            throw new IllegalArgumentException("estopInput must be board/channel, for example sim/estop.in; was '" + estop + "'");
        }
        String device = config.watchdogDevice() == null ? "" : config.watchdogDevice().trim();
        return new Settings(config.cycleMicros() * 1000L, config.permitMillis() * 1_000_000L, names(config.requiredBoards()),
                names(config.requiredLoops()), names(config.watchedStreams()), config.streamStallMillis() * 1_000_000L,
                config.maxInvalidPerSecond(), boardOf(estop), channelOf(estop), config.estopDebounceMillis() * 1_000_000L,
                config.watchdogFeedMillis() * 1_000_000L, device, config.watchdogTimeoutSeconds(), config.startupGraceMillis(),
                config.realTimePriority());
    }

    /**
     * What a supervisor whose configuration was refused at start runs with: the defaults, and
     * the e-stop input of the refused configuration when that much of it reads. It starts
     * tripped, so nothing moves until a good configuration and a reset.
     */
    static Settings fallback(Supervisor.Config refused) {
        String estop = refused.estopInput() == null ? "" : refused.estopInput().trim();
        if (!isBoardChannel(estop)) {
            estop = "";
        }
        return new Settings(1_000_000L, 50_000_000L, new String[0], new String[0], new String[0], 100_000_000L, 50, boardOf(estop),
                channelOf(estop), 5_000_000L, 1_000_000_000L, "", 0, 0, 81);
    }

    /** @return true when the watchdog to use differs from the one {@code before} named */
    boolean otherWatchdogThan(Settings before) {
        return !watchdogDevice.equals(before.watchdogDevice) || watchdogTimeoutSeconds != before.watchdogTimeoutSeconds;
    }

    private static boolean isBoardChannel(String input) {
        return input.matches("[^/]+/[^/]+");
    }

    private static String boardOf(String input) {
        return input.isEmpty() ? null : input.substring(0, input.indexOf('/'));
    }

    private static String channelOf(String input) {
        return input.isEmpty() ? null : input.substring(input.indexOf('/') + 1);
    }

    /** Accepts both a list and one comma-separated string, as a .cfg file gives it. */
    private static String[] names(String[] values) {
        List<String> names = new ArrayList<>();
        for (String v : values == null ? new String[0] : values) {
            for (String n : v.split(",")) {
                if (!n.isBlank()) {
                    names.add(n.trim());
                }
            }
        }
        return names.toArray(new String[0]);
    }

    private static void range(String name, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", was " + v);
        }
    }
}
