package io.armature.bridge.ros.internal;

/**
 * What one connected client may do, decided at its handshake and raised by a rosbridge
 * {@code auth} operation: read (subscribe, list topics, relay topics of its own) and command
 * (publish on a topic that moves the robot, such as {@code /cmd_vel}).
 *
 * <ul>
 * <li>With the robot's token (the {@code token} query parameter, or rosbridge {@code auth}), a
 * client may read and command.</li>
 * <li>Without it, a client connected over loopback may read; one from another host may do
 * nothing until it authenticates (the Foxglove server refuses it at the handshake).</li>
 * </ul>
 */
final class ClientAccess {

    /** The {@link io.armature.motion.MotionCommands} source of rosbridge clients' commands. */
    static final String ROSBRIDGE_SOURCE = "rosbridge";
    /** The {@link io.armature.motion.MotionCommands} source of Foxglove clients' commands. */
    static final String FOXGLOVE_SOURCE = "foxglove";

    private final String source;
    private final boolean loopback;
    private volatile boolean authenticated;
    /** the client was told its commands are taken but not in force (a source of higher priority drives) */
    volatile boolean toldNotInForce;

    /**
     * @param source        the motion-command source this client's commands go out as
     * @param loopback      the client connected from this machine (a loopback address)
     * @param authenticated it presented the robot's token at the handshake
     */
    ClientAccess(String source, boolean loopback, boolean authenticated) {
        this.source = source;
        this.loopback = loopback;
        this.authenticated = authenticated;
    }

    String source() {
        return source;
    }

    boolean loopback() {
        return loopback;
    }

    /** The client presented the robot's token (rosbridge {@code auth}). */
    void authenticate() {
        authenticated = true;
    }

    boolean authenticated() {
        return authenticated;
    }

    /** @return true when the client may publish on a topic that moves the robot */
    boolean mayCommand() {
        return authenticated;
    }

    /** @return true when the client may subscribe, list topics and relay topics of its own */
    boolean mayRead() {
        return authenticated || loopback;
    }
}
