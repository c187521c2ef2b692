package io.armature.hal;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a board is and which channels it has.
 *
 * @param id          the board id, unique in a runtime, also the {@link Board#PROPERTY_BOARD}
 *                    service property, for example {@code sim}
 * @param model       the board model as detected or configured, for example
 *                    "Raspberry Pi 4 Model B" or "Armature simulated rover"
 * @param backend     the backend that drives it, for example {@code sim}, {@code pi4j}
 * @param channels    every channel the board exposes, in a stable order
 */
public record BoardInfo(String id, String model, String backend, List<ChannelInfo> channels) {

    public BoardInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(backend, "backend");
        channels = List.copyOf(channels);
    }

    /** @return the channel with this name, if the board has it */
    public Optional<ChannelInfo> channel(String name) {
        for (ChannelInfo c : channels) {
            if (c.name().equals(name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
