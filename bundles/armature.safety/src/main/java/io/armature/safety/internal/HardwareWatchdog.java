package io.armature.safety.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BiConsumer;

import org.osgi.service.log.Logger;

/**
 * The hardware watchdog the configuration names, if any: opened (and so armed) at start, fed
 * while everything is healthy, swapped when the configuration names another, and on stop
 * disarmed only for an orderly shutdown. Any failure to open or feed it trips: without its
 * watchdog the robot must not move.
 */
final class HardwareWatchdog {

    private final Logger log;
    private final BiConsumer<String, String> trip;
    private volatile Watchdog watchdog;
    private long lastFeed; // on the supervisor's thread

    /** @param trip trips the supervisor with a source and a message */
    HardwareWatchdog(Settings settings, Logger log, BiConsumer<String, String> trip) {
        this.log = log;
        this.trip = trip;
        this.watchdog = open(settings);
    }

    /** @return the watchdog the settings name, open and armed; null for none. A device that cannot be opened trips. */
    private Watchdog open(Settings s) {
        if (s.watchdogDevice().isEmpty()) {
            return null;
        }
        try {
            Watchdog w = Watchdog.open(Path.of(s.watchdogDevice()), s.watchdogTimeoutSeconds());
            int actual = w.timeoutSeconds();
            if (actual > 0 && 2L * s.watchdogFeedNanos() > actual * 1_000_000_000L) {
                // the driver rounded the timeout down below what the feed interval needs
                trip.accept("watchdog", "watchdog " + s.watchdogDevice() + " took a timeout of " + actual + " s, less than twice the feed interval of "
                        + s.watchdogFeedNanos() / 1_000_000 + " ms");
            }
            log.info("hardware watchdog {} armed{}", s.watchdogDevice(), actual > 0 ? ", timeout " + actual + " s" : "");
            return w;
        } catch (IOException e) {
            trip.accept("watchdog", "cannot open watchdog device " + s.watchdogDevice() + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * A configuration change that names another device or timeout: the new watchdog first (a
     * failure trips), then the old one is disarmed: it is no longer ours to feed.
     */
    void reconfigure(Settings next) {
        Watchdog old = watchdog;
        watchdog = open(next);
        if (old != null) {
            try {
                old.disarmAndClose();
                log.info("hardware watchdog {} disarmed: the configuration names {}", old.device(),
                        next.watchdogDevice().isEmpty() ? "none" : next.watchdogDevice());
            } catch (IOException e) {
                log.error("cannot disarm watchdog {}: {}; it may reset the machine", old.device(), e.toString());
            }
        }
    }

    /** Feeds it, at most every feed interval; called only while everything is healthy. */
    void feed(Settings cfg, long now) {
        Watchdog w = watchdog;
        if (w == null || now - lastFeed < cfg.watchdogFeedNanos()) {
            return;
        }
        try {
            w.feed();
            lastFeed = now;
        } catch (IOException e) {
            trip.accept("watchdog", "cannot feed watchdog " + w.device() + ": " + e.getMessage());
        }
    }

    /**
     * The supervisor stops: an orderly shutdown of the whole robot disarms it; otherwise it stays
     * armed and resets the machine unless another supervisor feeds it.
     */
    void close(boolean orderlyShutdown) {
        Watchdog w = watchdog;
        if (w == null) {
            return;
        }
        try {
            if (orderlyShutdown) {
                w.disarmAndClose();
                log.info("hardware watchdog disarmed: orderly shutdown");
            } else {
                w.close();
                log.warn("safety supervisor stopped: the hardware watchdog stays armed and will reset the machine unless a supervisor feeds it");
            }
        } catch (IOException e) {
            log.error("closing watchdog {}: {}", w.device(), e.toString());
        }
    }
}
