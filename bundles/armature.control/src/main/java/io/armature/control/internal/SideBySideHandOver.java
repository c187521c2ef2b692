package io.armature.control.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.armature.control.ControlLoop;
import io.armature.control.PidGains;
import io.armature.control.TunableLoop;

/**
 * A side-by-side update of a wheel loop's bundle: two instances of the same loop from different
 * bundles. The one that was here first drives; the newcomer stands by (measuring only) until the
 * first goes, then takes over its setpoint, lease, gains and last output, so the motor is never
 * driven safe on the way. The one that drives hands over instead of stopping the motor while a
 * stand-by is there.
 */
final class SideBySideHandOver {

    /** What a predecessor was doing when it went away, for a bumpless take-over. */
    record Takeover(double setpoint, long leaseExpiryNanos, PidGains gains, double output) {
    }

    private final BundleContext context;
    private final TunableLoop self;
    private final Map<ServiceReference<TunableLoop>, TunableLoop> peers = new ConcurrentHashMap<>();
    private final AtomicReference<Takeover> pendingTakeover = new AtomicReference<>();
    private volatile boolean standby;
    private volatile boolean running; // once the loop has applied its settings, a newcomer of the same name never demotes it
    private volatile TunableLoop predecessor;
    private volatile TunableLoop successor;

    /**
     * @param context the loop's bundle context; null in unit tests (no peers then)
     * @param self    the loop
     */
    SideBySideHandOver(BundleContext context, TunableLoop self) {
        this.context = context;
        this.self = self;
    }

    /** The loop applied its settings: it runs, and stands by only if it was told to before. */
    void running() {
        running = true;
    }

    /** A loop service: only the same loop from another bundle (another version of this one) matters. */
    void addPeer(ServiceReference<TunableLoop> reference) {
        // Only the reference here: getting every loop's service object would make loops of
        // different names activate each other in a cycle.
        if (context == null || reference.getBundle() == context.getBundle()
                || !self.name().equals(reference.getProperty(ControlLoop.PROPERTY_NAME))) {
            return;
        }
        TunableLoop peer = context.getService(reference);
        if (peer == null || peer == self) {
            if (peer != null) {
                context.ungetService(reference);
            }
            return;
        }
        peers.put(reference, peer);
        addPeer(peer);
    }

    void removePeer(ServiceReference<TunableLoop> reference) {
        TunableLoop peer = peers.remove(reference);
        if (peer != null) {
            removePeer(peer);
            context.ungetService(reference);
        }
    }

    /** A loop of the same name from another bundle. */
    void addPeer(TunableLoop peer) {
        if ((running && !standby) || peer.isStandby()) {
            successor = peer; // it arrived while this one drives: it will stand by and take over
        } else if (predecessor == null) {
            predecessor = peer;
            standby = true;
        }
    }

    private void removePeer(TunableLoop peer) {
        if (peer == predecessor) {
            pendingTakeover.set(new Takeover(peer.setpoint(), peer.leaseExpiryNanos(), peer.gains(), peer.output()));
            predecessor = null;
        }
        if (peer == successor) {
            successor = null;
        }
    }

    /** @return true while this instance measures only, waiting for its predecessor to go */
    boolean isStandby() {
        return standby;
    }

    /** @return true while a successor registered as a stand-by is here to take the motor over */
    boolean handsOver() {
        return successor != null;
    }

    /** @return the predecessor's state once it has gone, once, ending the stand-by; else null. Loop thread. */
    Takeover takeOver() {
        Takeover t = pendingTakeover.getAndSet(null);
        if (t != null) {
            standby = false;
        }
        return t;
    }
}
