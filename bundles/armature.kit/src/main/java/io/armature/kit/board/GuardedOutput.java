package io.armature.kit.board;

import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.DigitalOutput;

/**
 * A digital output held to its board's {@link MotionGuard}, as {@link GuardedPwm} holds a PWM
 * output: a level other than the safe level takes effect only while the permit allows motion (a
 * refusal is counted and writes the safe level), a permit revoked between that check and the
 * write wins, and once the board is stopped every write throws while the safe level stays
 * reachable. A backend writes only its pin I/O ({@link #writeLevel}).
 */
public abstract class GuardedOutput implements DigitalOutput {

    private final MotionGuard guard;
    private final boolean safeLevel;
    private final ChannelInfo info;
    private volatile boolean level;

    /**
     * @param guard       the board's guard, shared by all its actuators
     * @param name        the channel's name
     * @param description what the output drives, and where
     * @param safeLevel   the level that stops what this output drives
     */
    protected GuardedOutput(MotionGuard guard, String name, String description, boolean safeLevel) {
        this.guard = guard;
        this.safeLevel = safeLevel;
        this.info = channelInfo(name, description, safeLevel);
        this.level = safeLevel;
    }

    /** @return how every board describes a digital output: its safe state is its safe level, "high" or "low" */
    public static ChannelInfo channelInfo(String name, String description, boolean safeLevel) {
        return new ChannelInfo(name, ChannelType.DIGITAL_OUTPUT, 1, description, safeLevel ? "high" : "low");
    }

    /** @return the channel's description, as {@link #channelInfo} made it */
    @Override
    public ChannelInfo info() {
        return info;
    }

    @Override
    public final synchronized void set(boolean high) {
        guard.checkRunning(info().name());
        boolean applied = high != safeLevel && !guard.permit().allowsMotion() ? safeLevel : high;
        put(applied);
        if (applied != safeLevel && !guard.permit().permitted()) {
            put(safeLevel); // revoked between the check and the write: revocation wins
        }
    }

    private void put(boolean high) {
        writeLevel(high);
        level = high;
    }

    /**
     * Puts a level on the pin: the backend's I/O, nothing else. Called with this object's lock held.
     *
     * @throws IllegalStateException when the hardware refuses the write, naming the channel
     */
    protected abstract void writeLevel(boolean high);

    /**
     * @return the level last written, the safe level until the first write (a backend requests
     *         its pin at the safe level); a backend that reads the pin back overrides this
     */
    @Override
    public boolean get() {
        return level;
    }

    /**
     * Sets the level kept here without {@link #writeLevel}, as {@link GuardedPwm#keepDuty} does
     * the duty, for a backend that sends its outputs later from another thread.
     *
     * @return true when the level changed
     */
    protected final boolean keepLevel(boolean high) {
        boolean changed = level != high;
        level = high;
        return changed;
    }

    @Override
    public final boolean safeLevel() {
        return safeLevel;
    }

    /** The safe level: reachable also after the board stopped. */
    @Override
    public synchronized void toSafeState() {
        put(safeLevel);
    }

    @Override
    public void close() {
        toSafeState();
    }
}
