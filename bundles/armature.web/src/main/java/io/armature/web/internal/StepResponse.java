package io.armature.web.internal;

/**
 * The figures of a recorded step response: a loop's measurement from the moment its setpoint
 * stepped from {@code initial} to {@code target}.
 *
 * @param riseSeconds       time from 10 % to 90 % of the step, in s; NaN when it never got to 90 %
 * @param overshootPercent  how far the measurement went past the target, in % of the step; 0 when it never did
 * @param settlingSeconds   time from the step until the measurement entered, for the rest of the
 *                          record, the band of {@value #SETTLING_BAND_PERCENT} % of the step around
 *                          the target, in s; NaN when it had not settled by the end of the record
 * @param finalValue        the mean of the last tenth of the record, in the loop's unit
 * @param steadyStateErrorPercent {@code (target - finalValue) / step}, in %
 */
public record StepResponse(double riseSeconds, double overshootPercent, double settlingSeconds, double finalValue,
        double steadyStateErrorPercent) {

    /** Half-width of the settling band, in % of the step. */
    public static final double SETTLING_BAND_PERCENT = 2.0;

    /**
     * @param initial the measurement before the step (the old setpoint), in the loop's unit
     * @param target  the new setpoint; must differ from {@code initial}
     * @param seconds sample times since the step, in s, ascending
     * @param values  the measurement at those times, same length, at least 2
     * @throws IllegalArgumentException for a step of zero size, arrays of different lengths, fewer than
     *                                  2 samples, times not ascending, or a value that is not finite
     */
    public static StepResponse of(double initial, double target, double[] seconds, double[] values) {
        double step = target - initial;
        if (!Double.isFinite(step) || step == 0) {
            throw new IllegalArgumentException("a step needs two different finite setpoints, was " + initial + " to " + target);
        }
        if (seconds.length != values.length || seconds.length < 2) {
            throw new IllegalArgumentException("need at least 2 samples, with as many times as values");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i]) || !Double.isFinite(seconds[i]) || (i > 0 && seconds[i] < seconds[i - 1])) {
                throw new IllegalArgumentException("sample " + i + " is not finite or not in time order");
            }
        }
        // progress: 0 at the initial value, 1 at the target, whichever the step's direction
        double t10 = Double.NaN;
        double t90 = Double.NaN;
        double peak = 0;
        int lastOutside = -1;
        double band = SETTLING_BAND_PERCENT / 100.0;
        for (int i = 0; i < values.length; i++) {
            double progress = (values[i] - initial) / step;
            if (Double.isNaN(t10) && progress >= 0.1) {
                t10 = seconds[i];
            }
            if (Double.isNaN(t90) && progress >= 0.9) {
                t90 = seconds[i];
            }
            peak = Math.max(peak, progress);
            if (Math.abs(progress - 1) > band) {
                lastOutside = i;
            }
        }
        double settling = lastOutside == values.length - 1 ? Double.NaN : lastOutside < 0 ? seconds[0] : seconds[lastOutside + 1];
        int tail = Math.max(1, values.length / 10);
        double sum = 0;
        for (int i = values.length - tail; i < values.length; i++) {
            sum += values[i];
        }
        double finalValue = sum / tail;
        return new StepResponse(t90 - t10, Math.max(0, peak - 1) * 100, settling, finalValue, (target - finalValue) / step * 100);
    }
}
