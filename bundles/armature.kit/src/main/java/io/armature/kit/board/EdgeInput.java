package io.armature.kit.board;

import io.armature.hal.ChannelType;
import io.armature.hal.DigitalInput;
import io.armature.hal.Edge;
import io.armature.hal.EdgeListener;
import io.armature.hal.Registration;

/**
 * A digital input whose edges go to {@link EdgeListener}s through the kit's
 * {@link EdgeListeners}: a backend reads its pin ({@link #read}) and hands each edge its event
 * thread sees to {@link #fire}, nothing else.
 */
public abstract class EdgeInput extends DescribedChannel implements DigitalInput {

    private final EdgeListeners listeners = new EdgeListeners();

    /**
     * @param name        the channel's name
     * @param description what the input reads, and where
     */
    protected EdgeInput(String name, String description) {
        super(name, ChannelType.DIGITAL_INPUT, 1, description);
    }

    @Override
    public final Registration onEdge(Edge edge, EdgeListener listener) {
        return listeners.add(edge, listener);
    }

    /**
     * Hands an edge to the listeners whose {@link Edge} selects it; allocates nothing, and a
     * listener that throws stops neither the others nor the caller.
     *
     * @param level          the new level: true after a rising edge
     * @param timestampNanos when the edge happened, on the {@link System#nanoTime()} clock
     */
    protected final void fire(boolean level, long timestampNanos) {
        listeners.fire(name(), level, timestampNanos);
    }
}
