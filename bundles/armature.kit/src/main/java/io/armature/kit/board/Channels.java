package io.armature.kit.board;

import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.UnknownChannelException;

import java.util.List;
import java.util.Map;

/** Channel lookup for backends, with the {@link UnknownChannelException} messages every board gives. */
public final class Channels {

    private Channels() {
    }

    /**
     * Serves {@link Board#channel}.
     *
     * @param boardId  the board's id, for the message
     * @param channels the board's channels by name
     * @return the channel {@code name}, as {@code type}
     * @throws UnknownChannelException when there is no such channel (the message lists those
     *                                 there are) or it is not a {@code type}
     */
    public static <T extends Channel> T find(String boardId, Map<String, ? extends Channel> channels, String name, Class<T> type) {
        Channel c = channels.get(name);
        if (c == null) {
            throw UnknownChannelException.of(boardId, name, List.copyOf(channels.keySet()));
        }
        if (!type.isInstance(c)) {
            throw new UnknownChannelException("channel '" + name + "' on board '" + boardId + "' is " + c.info().type() + ", not "
                    + type.getSimpleName());
        }
        return type.cast(c);
    }
}
