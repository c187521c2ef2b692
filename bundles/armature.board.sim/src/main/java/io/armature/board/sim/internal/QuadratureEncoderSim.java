package io.armature.board.sim.internal;

/**
 * A quadrature encoder on a wheel: turns the wheel angle into counts and the A/B signal edges
 * a real encoder would produce (A leads B when turning forward, four counts per line).
 */
public final class QuadratureEncoderSim {

    /** Receives each A or B transition. */
    public interface EdgeSink {
        /**
         * @param phaseB false for signal A, true for signal B
         * @param level  the new level
         * @param timestampNanos when it happened, simulated clock
         */
        void edge(boolean phaseB, boolean level, long timestampNanos);
    }

    private final int countsPerRevolution;
    private long counts;

    /** @param countsPerRevolution quadrature counts per wheel revolution (4 x lines x gear ratio) */
    public QuadratureEncoderSim(int countsPerRevolution) {
        if (countsPerRevolution < 4 || countsPerRevolution % 4 != 0) {
            throw new IllegalArgumentException(
                    "encoder counts per revolution must be a positive multiple of 4, was " + countsPerRevolution);
        }
        this.countsPerRevolution = countsPerRevolution;
    }

    /**
     * Moves the encoder to the wheel angle, emitting one edge per count passed. Edges are spread
     * evenly over the interval from {@code fromNanos} to {@code toNanos}.
     */
    public void moveTo(double angleRadians, long fromNanos, long toNanos, EdgeSink sink) {
        long target = (long) Math.floor(angleRadians * countsPerRevolution / (2 * Math.PI));
        long passed = Math.abs(target - counts);
        if (passed == 0) {
            return;
        }
        long direction = target > counts ? 1 : -1;
        long span = toNanos - fromNanos;
        for (long i = 1; i <= passed; i++) {
            long before = counts;
            counts += direction;
            long ts = fromNanos + span * i / passed;
            // Between neighbouring Gray states exactly one of A and B changes.
            boolean aChanged = phaseA(before) != phaseA(counts);
            if (aChanged) {
                sink.edge(false, phaseA(counts), ts);
            } else {
                sink.edge(true, phaseB(counts), ts);
            }
        }
    }

    /** @return counts since start, signed */
    public long counts() {
        return counts;
    }

    public int countsPerRevolution() {
        return countsPerRevolution;
    }

    /** @return level of signal A at the current count */
    public boolean a() {
        return phaseA(counts);
    }

    /** @return level of signal B at the current count */
    public boolean b() {
        return phaseB(counts);
    }

    // Gray sequence per count mod 4: 00, 10, 11, 01 (A, B).
    static boolean phaseA(long count) {
        int s = (int) Math.floorMod(count, 4L);
        return s == 1 || s == 2;
    }

    static boolean phaseB(long count) {
        int s = (int) Math.floorMod(count, 4L);
        return s == 2 || s == 3;
    }
}
