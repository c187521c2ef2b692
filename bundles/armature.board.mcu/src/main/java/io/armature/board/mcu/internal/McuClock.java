package io.armature.board.mcu.internal;

/**
 * Maps the microcontroller's 32-bit microsecond clock, which wraps every 71 minutes, onto the
 * host's {@link System#nanoTime()} clock. A frame can only arrive after it was stamped, so the
 * smallest (arrival - stamp) seen is the best estimate of the clocks' offset; it may creep up by
 * 200 ns a frame, so that crystals drifting apart (50 ppm is 50 us a second) are followed.
 * Not thread-safe: the link thread alone uses it.
 */
final class McuClock {

    private static final long CREEP_NANOS = 200;

    private long lastRaw;
    private long lastUnwrapped;
    private boolean started;
    private long offsetNanos;

    /**
     * The host time of a frame's own stamp; updates the offset estimate.
     *
     * @param rawMicros the frame's stamp, 0..2^32-1
     * @param arrival   when the frame arrived, host clock
     */
    long frameTime(long rawMicros, long arrival) {
        long micros = unwrap(rawMicros);
        lastRaw = rawMicros;
        lastUnwrapped = micros;
        long candidate = arrival - micros * 1000;
        if (!started) {
            offsetNanos = candidate;
            started = true;
        } else {
            offsetNanos = Math.min(candidate, offsetNanos + CREEP_NANOS);
        }
        return micros * 1000 + offsetNanos;
    }

    /** The host time of another stamp in a frame (an edge time), within 35 minutes of the frame's; changes nothing. */
    long otherTime(long rawMicros) {
        return unwrap(rawMicros) * 1000 + offsetNanos;
    }

    private long unwrap(long rawMicros) {
        if (!started) {
            return rawMicros;
        }
        int delta = (int) (rawMicros - lastRaw); // signed: the stamp may be before or after the last frame's
        return lastUnwrapped + delta;
    }
}
