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

    /** Drives every actuator of the board to its safe state. */
    default void toSafeState() {
        for (Channel c : channels()) {
            if (c instanceof Actuator a) {
                a.toSafeState();
            }
        }
    }
}
