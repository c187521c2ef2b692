package io.armature.safety;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The supervisor owns permission to move. After a trip, motion resumes only on an explicit
 * {@link #reset(String)}, and only when every condition is healthy again.
 */
@ProviderType
public interface SafetySupervisor {

    /** @return the current state */
    SafetyState state();

    /**
     * @return true while actuators may move: not tripped. Read every cycle by control loops,
     *         which disengage (reset, drive safe) when it turns false. A volatile read.
     */
    boolean mayMove();

    /**
     * Registers a heartbeat that must beat at least every {@code timeoutNanos}, or the supervisor
     * trips with the reason "{@code name} missed its heartbeat".
     *
     * @param name         who beats it, for example {@code loop:left}
     * @param timeoutNanos the longest gap between beats, in ns, above 0
     */
    Heartbeat heartbeat(String name, long timeoutNanos);

    /**
     * Reports a fault from a component that cannot go on safely: trips the supervisor.
     *
     * @param source who reports it, for example {@code loop:left}
     * @param reason a one-line reason
     */
    void fault(String source, String reason);

    /**
     * @return how many times this supervisor has tripped since it started (a latched trip it
     *         started with counts as one); it grows after the state turns
     *         {@link SafetyState#TRIPPED}. A command path reads it before checking
     *         {@link #mayMove()} and stamps its command with it: a command whose stamp is older
     *         than the latest trip never takes effect, not even after a reset. A volatile read.
     */
    long trips();

    /** @return the reason of the current trip; empty while {@link SafetyState#OK} */
    Optional<TripReason> tripReason();

    /**
     * @return every condition that is not healthy now, one line each, in the order the supervisor
     *         checks them: what a {@link #reset(String)} would be refused for. Empty when all is
     *         healthy. For operators' views; it allocates, so a control loop does not call it.
     */
    List<String> unhealthy();

    /**
     * Trips the supervisor at once: every actuator goes to its safe state.
     *
     * @param source who pressed it, for example {@code gogo}, {@code web}, {@code mqtt}
     * @param reason a one-line reason
     */
    void estop(String source, String reason);

    /**
     * Clears a trip. Moves nothing: every setpoint was cleared by the trip.
     *
     * @param source who asked
     * @throws IllegalStateException when a condition is still unhealthy; the message names it and
     *                               the supervisor stays tripped
     */
    void reset(String source);
}
