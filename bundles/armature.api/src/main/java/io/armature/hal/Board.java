package io.armature.hal;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A board: the hardware (or simulation) that exposes channels. A board backend registers one
 * {@code Board} service per board and one service per channel.
 */
@ProviderType
public interface Board {

    /** Service property: the board id ({@code String}), on the board and on each of its channels. */
    String PROPERTY_BOARD = "armature.board";

    /**
     * Service property on the {@code Board} service: the device-tree {@code compatible} entries
     * ({@code String[]}) of the machines this backend drives, for example
     * {@code raspberrypi,4-model-b}; {@code *} for a backend that drives any Linux machine, and
     * absent for a board that is not the host (a simulation, a microcontroller on a UART).
     */
    String PROPERTY_COMPATIBLE = "armature.board.compatible";

    /** @return what the board is and its channels */
    BoardInfo info();

    /** @return every channel, in the order of {@code info().channels()} */
    List<Channel> channels();

    /**
     * @return the channel with this name and type
     * @throws UnknownChannelException when there is no such channel, or it is of another type;
     *                                 the message lists the channels that exist
     */
    <T extends Channel> T channel(String name, Class<T> type);

    /**
     * Feeds the board's motion permit: actuators may leave their safe state until the
     * monotonic time {@code expiryNanos} ({@link System#nanoTime()} clock). From the first feed
     * on the permit is armed: when it lapses the board drives every actuator safe by itself, and
     * while it is lapsed a write that would move an actuator (a non-zero duty, a level other than
     * the safe one) does not take effect and is counted in {@link #refusedWrites()}. Before the
     * first feed the board refuses motion too (fail-closed), unless it is configured
     * {@code unsupervised} for a bench. The safety supervisor feeds it every cycle.
     */
    void permitMotion(long expiryNanos);

    /** Ends the motion permit at once: every actuator goes safe now and stays there until the next feed. */
    void revokeMotion();

    /** @return true while actuators may leave their safe state: within a fed permit, or unsupervised before the first feed */
    boolean motionPermitted();

    /** @return writes that would have moved an actuator without a valid permit, since start */
    long refusedWrites();

    /** Drives every actuator of the board to its safe state. */
    default void toSafeState() {
        for (Channel c : channels()) {
            if (c instanceof Actuator a) {
                a.toSafeState();
            }
        }
    }
}
