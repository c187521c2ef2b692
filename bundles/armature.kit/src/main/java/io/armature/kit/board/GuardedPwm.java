package io.armature.kit.board;

import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.PwmOutput;

/**
 * A PWM output held to its board's {@link MotionGuard}: the one place where a duty is checked
 * against the motion permit. A backend writes only its pin I/O ({@link #writeDuty}); the rules
 * are here:
 * <ul>
 * <li>a duty outside 0..65535 is refused with one line naming the channel and what is kept;</li>
 * <li>once the board is stopped every write throws, and the safe state stays reachable;</li>
 * <li>a duty other than 0 takes effect only while the permit allows motion (a refusal is counted
 * and writes 0: the motor stays, or goes, safe);</li>
 * <li>a permit revoked between that check and the write wins: the duty goes back to 0.</li>
 * </ul>
 * Writes are serialized on this object, so a backend's {@code setFrequency} that rewrites the
 * duty may synchronize on it too.
 */
public abstract class GuardedPwm implements PwmOutput {

    private final MotionGuard guard;
    private final ChannelInfo info;
    private volatile int duty;

    /**
     * For a backend that serves {@link #info()} itself (one whose resolution follows its frequency).
     *
     * @param guard the board's guard, shared by all its actuators
     */
    protected GuardedPwm(MotionGuard guard) {
        this.guard = guard;
        this.info = null;
    }

    /**
     * @param guard          the board's guard, shared by all its actuators
     * @param name           the channel's name
     * @param resolutionBits the duty's resolution on the hardware
     * @param description    what the channel drives, and where
     */
    protected GuardedPwm(MotionGuard guard, String name, int resolutionBits, String description) {
        this.guard = guard;
        this.info = channelInfo(name, resolutionBits, description);
    }

    /** @return how every board describes a PWM channel: its safe state is duty 0 */
    public static ChannelInfo channelInfo(String name, int resolutionBits, String description) {
        return new ChannelInfo(name, ChannelType.PWM, resolutionBits, description, "duty 0");
    }

    /** @return the channel's description, as {@link #channelInfo} made it */
    @Override
    public ChannelInfo info() {
        return info;
    }

    @Override
    public final synchronized void setDuty(int duty) {
        String name = info().name();
        if (duty < 0 || duty > MAX_DUTY) {
            throw new IllegalArgumentException("duty for " + name + " must be 0..65535, was " + duty + "; kept " + duty());
        }
        guard.checkRunning(name);
        int applied = duty != 0 && !guard.permit().allowsMotion() ? 0 : duty;
        put(applied);
        if (applied != 0 && !guard.permit().permitted()) {
            put(0); // revoked between the check and the write: revocation wins
        }
    }

    private void put(int newDuty) {
        writeDuty(newDuty);
        duty = newDuty;
    }

    /**
     * @return the duty last written, 0 until the first write; a backend that reads its duty
     *         from the hardware overrides this
     */
    @Override
    public int duty() {
        return duty;
    }

    /**
     * Puts a duty on the pin: the backend's I/O, nothing else. Called with this object's lock held.
     *
     * @param duty 0..65535, already checked against the permit
     * @throws IllegalStateException when the hardware refuses the write, naming the channel
     */
    protected abstract void writeDuty(int duty);

    /**
     * Sets the duty kept here without {@link #writeDuty}, for a backend whose I/O sends its
     * outputs later from another thread: it keeps the new duty from its {@code writeDuty} (so
     * that thread never reads a stale one) and from a {@link #toSafeState} that only prepares
     * the safe state.
     *
     * @return true when the duty changed
     */
    protected final boolean keepDuty(int newDuty) {
        boolean changed = duty != newDuty;
        duty = newDuty;
        return changed;
    }

    /** @throws IllegalStateException once the board has stopped, naming this channel */
    protected final void checkRunning() {
        guard.checkRunning(info().name());
    }

    /** Duty 0: reachable also after the board stopped. */
    @Override
    public synchronized void toSafeState() {
        put(0);
    }

    @Override
    public boolean isSafe() {
        return duty() == 0;
    }

    @Override
    public void close() {
        toSafeState();
    }
}
