package io.armature.kit.board;

import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.hal.Channel;

import io.armature.hal.UnknownChannelException;

import org.osgi.service.log.Logger;

import java.util.List;

/**
 * What every backend whose actuators are held by a {@link MotionGuard} serves the same way: the
 * motion permit through the guard, and {@link #info}, {@link #channels} and {@link #channel}
 * through its {@link BoardChannels}. A backend supplies the two (it may replace both whole, as a
 * board that rebuilds its channels does, and may have no channels while it is disconnected), its
 * configuration and its lifecycle, says it is up with {@link #announce} and stops with
 * {@link #shutDown}.
 */
public abstract class GuardedBoard implements Board {

    /** @return the guard of the board's current channels */
    protected abstract MotionGuard guard();

    /** @return the board's current channels, or null before it built them or while it has none */
    protected abstract BoardChannels boardChannels();

    /**
     * @return the board's description while it has no channels: null unless the backend
     *         describes that state
     */
    protected BoardInfo infoWithoutChannels() {
        return null;
    }

    /** @return why there is no channel while the board has none, for {@link UnknownChannelException} */
    protected String noChannels(String name) {
        return "board has no channels yet; channel '" + name + "' is not there";
    }

    /** Says the board is up, with the warning every board gives when it runs unsupervised. */
    protected static void announce(Logger log, String boardId, boolean unsupervised, String upFormat, Object... upArguments) {
        if (log != null) {
            log.info(upFormat, upArguments);
            warnIfUnsupervised(log, boardId, unsupervised);
        }
    }

    /** Warns that the board moves with no supervisor, when it is configured so. */
    protected static void warnIfUnsupervised(Logger log, String boardId, boolean unsupervised) {
        if (log != null && unsupervised) {
            log.warn("board '{}' is unsupervised: it moves with no safety supervisor; for a bench only", boardId);
        }
    }

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

    /** Feeds the permit; a backend that must act on a feed at once extends this, calling it first. */
    @Override
    public void permitMotion(long expiryNanos) {
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

    /** @return the board's description, or {@link #infoWithoutChannels} while it has no channels */
    @Override
    public final BoardInfo info() {
        BoardChannels c = boardChannels();
        return c == null ? infoWithoutChannels() : c.info();
    }

    /** @return the board's channels, none while it has none */
    @Override
    public final List<Channel> channels() {
        BoardChannels c = boardChannels();
        return c == null ? List.of() : c.list();
    }

    @Override
    public final <T extends Channel> T channel(String name, Class<T> type) {
        BoardChannels c = boardChannels();
        if (c == null) {
            throw new UnknownChannelException(noChannels(name));
        }
        return c.find(name, type);
    }
}
