package io.armature.kit.board;

import io.armature.hal.Actuator;
import io.armature.hal.AnalogInput;
import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.I2cBus;
import io.armature.hal.PwmOutput;
import io.armature.hal.UartPort;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Registers a board's channels as services, each under {@link Channel}, {@link Actuator} where it
 * is one, and its own channel type, with the {@link Board#PROPERTY_BOARD},
 * {@link Channel#PROPERTY_CHANNEL} and {@link Channel#PROPERTY_CHANNEL_TYPE} properties; and,
 * for a backend that registers its board by hand (one whose board comes and goes with a link),
 * the {@link Board} service after its channels. {@link #close()} unregisters the board first.
 */
public final class BoardServices implements AutoCloseable {

    private static final List<Class<?>> CHANNEL_TYPES = List.of(PwmOutput.class, DigitalOutput.class, DigitalInput.class, AnalogInput.class,
            I2cBus.class, UartPort.class);

    private final BundleContext context;
    private final String boardId;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    private BoardServices(BundleContext context, String boardId) {
        this.context = context;
        this.boardId = boardId;
    }

    /** Registers every channel of board {@code boardId}. */
    public static BoardServices registerChannels(BundleContext context, String boardId, Collection<? extends Channel> channels) {
        BoardServices s = new BoardServices(context, boardId);
        for (Channel c : channels) {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(Board.PROPERTY_BOARD, boardId);
            props.put(Channel.PROPERTY_CHANNEL, c.name());
            props.put(Channel.PROPERTY_CHANNEL_TYPE, c.info().type().name());
            s.registrations.add(context.registerService(serviceTypes(c), c, props));
        }
        return s;
    }

    /** Registers the board itself, after its channels, with {@code extra} properties beside its id. */
    public BoardServices andBoard(Board board, Map<String, ?> extra) {
        Dictionary<String, Object> props = new Hashtable<>(extra);
        props.put(Board.PROPERTY_BOARD, boardId);
        registrations.add(0, context.registerService(Board.class, board, props));
        return this;
    }

    private static String[] serviceTypes(Channel c) {
        List<String> types = new ArrayList<>();
        types.add(Channel.class.getName());
        if (c instanceof Actuator) {
            types.add(Actuator.class.getName());
        }
        for (Class<?> t : CHANNEL_TYPES) {
            if (t.isInstance(c)) {
                types.add(t.getName());
            }
        }
        return types.toArray(new String[0]);
    }

    /** Unregisters the board, then its channels; what the framework already unregistered is skipped. */
    @Override
    public void close() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping: the framework unregistered it
            }
        }
        registrations.clear();
    }
}
