package io.armature.motion;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The one path of motion commands. Every interface that can move the robot calls this service
 * and keeps no motion rule of its own; it alone decides:
 * <ul>
 * <li><b>who drives</b>: a command names its {@linkplain CommandSource source}; of the sources
 * with a live command for a loop, the one of highest priority owns it (on a tie, the latest);
 * a leased command that is not renewed lapses, and the loop goes to the next owner or to 0;</li>
 * <li><b>trips</b>: a trip clears every source's commands, and commands are refused while the
 * robot is tripped; after a reset nothing moves until a new command arrives;</li>
 * <li><b>e-stop</b>: works from every source, also when no safety supervisor is running;</li>
 * <li><b>reset</b>: only a source with reset rights may reset.</li>
 * </ul>
 * Without a safety supervisor every command that would move is refused.
 */
@ProviderType
public interface MotionCommands {

    /**
     * Commands one loop's setpoint on behalf of a source; for a leased source it holds for the
     * source's lease.
     *
     * @param source a configured source name
     * @param loop   the loop's name
     * @param value  the setpoint, in the loop's unit, within its limits
     * @return true when this command is in force now; false when a source of higher priority
     *         owns the loop (the command is kept and takes effect when that one's command ends)
     * @throws IllegalArgumentException for an unknown source or loop, or a value the loop refuses;
     *                                  nothing changes
     * @throws IllegalStateException    while tripped, without a supervisor, or when the loop is
     *                                  not running; nothing changes
     */
    boolean setpoint(String source, String loop, double value);

    /**
     * Commands the body's velocity, turned into both wheel setpoints by {@link #geometry()}.
     *
     * @param linearMetersPerSecond  forward speed, m/s
     * @param angularRadiansPerSecond yaw rate, rad/s, positive turns left
     * @return as {@link #setpoint}: true when the command is in force now
     * @throws IllegalArgumentException for an unknown source, or speeds a wheel loop refuses (then neither wheel changes)
     * @throws IllegalStateException    as {@link #setpoint}
     */
    boolean twist(String source, double linearMetersPerSecond, double angularRadiansPerSecond);

    /**
     * Withdraws every command of a source: the loops it owned go to the next owner, or to 0.
     *
     * @throws IllegalArgumentException for an unknown source
     */
    void release(String source);

    /**
     * Stops every actuator at once: trips the supervisor, or, when none is running, revokes every
     * board's motion permit directly. Never refused.
     *
     * @param source who pressed it, for example {@code gogo}
     * @param reason a one-line reason; blank for "e-stop"
     * @return what was done, in one line
     */
    String estop(String source, String reason);

    /**
     * Clears a trip. Moves nothing: every setpoint stays 0 until a new command.
     *
     * @throws SecurityException     when the source has no reset rights
     * @throws IllegalStateException when a condition is still unhealthy, or no supervisor runs
     */
    void reset(String source);

    /** @return every configured source */
    List<CommandSource> sources();

    /** @return the source whose command is in force on a loop, if any */
    Optional<String> owner(String loop);

    /** @return the drive's loops and kinematics */
    DriveGeometry geometry();
}
