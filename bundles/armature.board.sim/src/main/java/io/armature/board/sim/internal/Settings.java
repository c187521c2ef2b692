package io.armature.board.sim.internal;

/** Values from a {@link SimBoard.Config} after validation. */
record Settings(String id, boolean realTime, int stepRateHz, double loadTorqueNm, double gyroNoise, double gyroBias,
        double accelNoise, double accelBias, int encoderCountsPerRevolution, long seed, double pwmFrequencyHz,
        boolean estopPressed, boolean i2cHung, boolean unsupervised, int realTimePriority) {

    static Settings of(SimBoard.Config c) {
        String id = c.armature_board() == null ? "" : c.armature_board().trim();
        if (id.isEmpty() || !id.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("armature.board must be letters, digits, '.', '_' or '-', was '" + c.armature_board() + "'");
        }
        range("stepRateHz", c.stepRateHz(), 100, 20_000);
        range("loadTorqueNm", c.loadTorqueNm(), 0, 2);
        range("gyroNoise", c.gyroNoise(), 0, 1);
        range("gyroBias", c.gyroBias(), -0.5, 0.5);
        range("accelNoise", c.accelNoise(), 0, 10);
        range("accelBias", c.accelBias(), -2, 2);
        range("pwmFrequencyHz", c.pwmFrequencyHz(), 1, 100_000);
        range("realTimePriority", c.realTimePriority(), 0, 99);
        int cpr = c.encoderCountsPerRevolution();
        if (cpr < 4 || cpr > 1_000_000 || cpr % 4 != 0) {
            throw new IllegalArgumentException("encoderCountsPerRevolution must be a multiple of 4 in 4..1000000, was " + cpr);
        }
        return new Settings(id, c.realTime(), c.stepRateHz(), c.loadTorqueNm(), c.gyroNoise(), c.gyroBias(),
                c.accelNoise(), c.accelBias(), cpr, c.seed(), c.pwmFrequencyHz(), c.estopPressed(), c.i2cHung(), c.unsupervised(),
                c.realTimePriority());
    }

    private static void range(String name, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", was " + v);
        }
    }

    private static void range(String name, double v, double min, double max) {
        if (!(v >= min && v <= max)) { // also rejects NaN
            throw new IllegalArgumentException(name + " must be " + fmt(min) + ".." + fmt(max) + ", was " + v);
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
