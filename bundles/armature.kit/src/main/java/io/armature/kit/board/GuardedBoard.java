package io.armature.kit.board;

import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.hal.Channel;

import java.util.List;

/**
 * What every backend whose actuators are held by a {@link MotionGuard} serves the same way: the
 * motion permit through the guard, and {@link #info}, {@link #channels} and {@link #channel}
 * through its {@link BoardChannels}. A backend supplies the two (it may replace both whole, as a
 * board that rebuilds its channels does), its configuration and its lifecycle, and stops with
 * {@link #shutDown}.
 */
public abstract class GuardedBoard implements Board {

    /** @return the guard of the board's current channels */
    protected abstract MotionGuard guard();

    /** @return the board's current channels, or null before it built them */
    protected abstract BoardChannels boardChannels();

    /**
     * Stops a board in the one safe order: the guard first (its watcher stops, every actuator goes
     * safe and every later write throws), then the services, so that no consumer can move an
     * actuator between the two.
     *
     * @param services the board's services; null when it registered none (outside a framework)
     */
    protected static void shutDown(MotionGuard guard, BoardServices services) {
        guard.close();
        if (services != null) {
            services.close();
        }
    }

    @Override
    public final void permitMotion(long expiryNanos) {
        guard().permit().permit(expiryNanos);
    }

    /** Ends the permit and drives every actuator safe at once. */
    @Override
    public void revokeMotion() {
        guard().revoke();
    }

    @Override
    public final boolean motionPermitted() {
        return guard().permit().permitted();
    }

    @Override
    public final long refusedWrites() {
        return guard().permit().refusedWrites();
    }

    /** @return times the actuators were driven safe because the permit lapsed */
    public final long permitLapses() {
        return guard().lapses();
    }

    /** @return the board's description, or null before it is built */
    @Override
    public final BoardInfo info() {
        BoardChannels c = boardChannels();
        return c == null ? null : c.info();
    }

    @Override
    public final List<Channel> channels() {
        return boardChannels().list();
    }

    @Override
    public final <T extends Channel> T channel(String name, Class<T> type) {
        return boardChannels().find(name, type);
    }
}
