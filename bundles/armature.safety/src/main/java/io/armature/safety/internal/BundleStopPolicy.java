package io.armature.safety.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;

import io.armature.control.ControlLoop;
import io.armature.kit.service.NamedServices;

/**
 * What happens when a bundle that provides loops stops: the motors stop before its components
 * wind down (which takes tens of milliseconds), unless every one of its loops has a stand-by
 * successor in another bundle (a side-by-side update).
 */
final class BundleStopPolicy implements SynchronousBundleListener {

    private final NamedServices<ServiceReference<ControlLoop>> loops;
    private final BiConsumer<String, String> trip;
    private volatile boolean active = true;

    /**
     * @param loops the loops there are, by name
     * @param trip  trips the supervisor with a source and a message
     */
    BundleStopPolicy(NamedServices<ServiceReference<ControlLoop>> loops, BiConsumer<String, String> trip) {
        this.loops = loops;
        this.trip = trip;
    }

    /**
     * Listens on the system bundle's context. Felix calls synchronous listeners in the order they
     * registered, so SCR's (registered at a lower start level) may tear the bundle's components
     * down first: measured, this trip comes 20-30 ms after stop() is called. The motors do not
     * wait for it: each wheel loop checks its own bundle's state every cycle and stops driving in
     * the first cycle after it turns STOPPING.
     */
    void start(BundleContext context) {
        systemContext(context).addBundleListener(this);
    }

    /** No more trips from here: the supervisor is stopping. */
    void stop(BundleContext context) {
        active = false;
        try {
            systemContext(context).removeBundleListener(this);
        } catch (RuntimeException alreadyGone) {
            // the framework is stopping
        }
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        if (event.getType() == BundleEvent.STOPPING) {
            stopping(event.getBundle());
        }
    }

    void stopping(Bundle stopping) {
        List<String> orphaned = new ArrayList<>();
        for (String name : loops.names()) {
            boolean here = false;
            boolean elsewhere = false;
            for (ServiceReference<ControlLoop> loop : loops.all(name)) {
                Bundle provider = loop.getBundle();
                here |= provider != null && provider.getBundleId() == stopping.getBundleId();
                elsewhere |= provider != null && provider.getBundleId() != stopping.getBundleId();
            }
            if (here && !elsewhere) {
                orphaned.add(name);
            }
        }
        if (!orphaned.isEmpty() && active) {
            trip.accept("bundle:" + stopping.getSymbolicName(), "bundle " + stopping.getSymbolicName() + " is stopping and takes loop(s) "
                    + String.join(", ", orphaned) + " with it");
        }
    }

    private static BundleContext systemContext(BundleContext context) {
        BundleContext system = context.getBundle(0).getBundleContext();
        return system != null ? system : context;
    }
}
