package io.armature.safety.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.osgi.service.log.Logger;

import io.armature.safety.TripReason;

/**
 * A latched trip kept across restarts, as one line in the data directory: the next supervisor
 * starts tripped with it. Written and removed on the supervisor's own thread, never on the
 * thread that tripped.
 */
final class LatchedTripFile {

    static final String NAME = "safety-latched-trip";
    private static final String LATCHED_PREFIX = "latched before restart: ";

    private final Path file;
    private final Logger log;

    LatchedTripFile(Path dataDir, Logger log) {
        this.file = dataDir.resolve(NAME);
        this.log = log;
    }

    /** @return the trip written before the last stop, if any; an unreadable record counts as a trip */
    TripReason read() {
        if (!Files.exists(file)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(file)) {
            String text = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
            int tab = text.indexOf('\t');
            String source = tab > 0 ? text.substring(0, tab) : "latched";
            String message = tab > 0 ? text.substring(tab + 1) : text;
            String reason = message.isBlank() ? "no reason recorded" : message;
            // a trip that already came back from a restart keeps its one prefix through the next
            return new TripReason(source, reason.startsWith(LATCHED_PREFIX) ? reason : LATCHED_PREFIX + reason, System.nanoTime());
        } catch (IOException | RuntimeException e) {
            return new TripReason("latched", "latched before restart (its record " + file + " cannot be read: " + e + ")", System.nanoTime());
        }
    }

    /** Writes the trip, replacing the file whole. */
    void write(TripReason t) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(NAME + ".tmp");
            Files.writeString(tmp, t.source() + "\t" + t.message().replace('\n', ' ') + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            log.error("cannot keep the trip across a restart in {}: {}", file, e.toString());
        }
    }

    /** Removes the record after a reset. */
    void remove() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.error("cannot remove {} after the reset: {}; the next start will be tripped", file, e.toString());
        }
    }
}
