package io.armature.hal;

import java.util.List;

/** Thrown when a board is asked for a channel it does not have, or with the wrong type. */
public class UnknownChannelException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UnknownChannelException(String message) {
        super(message);
    }

    /** @return an exception whose message names the channel and the channels that exist */
    public static UnknownChannelException of(String boardId, String channel, List<String> known) {
        return new UnknownChannelException(
                "unknown channel '" + channel + "' on board '" + boardId + "'; channels: " + String.join(", ", known));
    }
}
