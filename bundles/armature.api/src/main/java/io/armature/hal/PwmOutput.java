package io.armature.hal;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A PWM output. The duty is normalized to 16 bits, 0..65535, whatever the hardware: each
 * backend scales it to its real resolution ({@link ChannelInfo#resolutionBits()}), with 0 always
 * fully off and 65535 always fully on. The safe state is duty 0.
 */
@ProviderType
public interface PwmOutput extends Actuator {

    /** The largest duty: fully on. */
    int MAX_DUTY = 65535;

    /**
     * Sets the duty.
     *
     * @param duty 0..65535, scaled to the board's resolution
     * @throws IllegalArgumentException when the duty is outside 0..65535; the output keeps its
     *                                  previous duty
     */
    void setDuty(int duty);

    /** @return the duty last set, 0..65535 */
    int duty();

    /**
     * Sets the PWM frequency.
     *
     * @param hertz the frequency in Hz, within what the channel supports
     * @throws IllegalArgumentException when the frequency is not finite, not positive or not
     *                                  supported; the output keeps its previous frequency
     */
    void setFrequency(double hertz);

    /** @return the frequency in Hz */
    double frequency();

    @Override
    default void toSafeState() {
        setDuty(0);
    }

    @Override
    default boolean isSafe() {
        return duty() == 0;
    }
}
