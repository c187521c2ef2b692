package io.armature.kit.board;

import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A board's channels as its backend built them: in that order, by name, with the
 * {@link BoardInfo} that describes them and the actuators among them, which the board's
 * {@link MotionGuard} holds to the permit. Immutable: a board that rebuilds its channels makes a
 * new one. Serves {@link Board#info}, {@link Board#channels} and {@link Board#channel}.
 */
public final class BoardChannels {

    private final String boardId;
    private final Map<String, Channel> byName;
    private final List<Channel> list;
    private final List<Actuator> actuators;
    private final BoardInfo info;

    /**
     * @param boardId  the board's id
     * @param model    the board's model, for {@link BoardInfo#model()}
     * @param backend  the backend's name, for {@link BoardInfo#backend()}
     * @param channels every channel of the board, in the order it lists them
     * @throws IllegalArgumentException when two channels have the same name
     */
    public BoardChannels(String boardId, String model, String backend, Collection<? extends Channel> channels) {
        Map<String, Channel> m = new LinkedHashMap<>();
        List<Actuator> a = new ArrayList<>();
        List<ChannelInfo> infos = new ArrayList<>();
        for (Channel c : channels) {
            if (m.putIfAbsent(c.name(), c) != null) {
                throw new IllegalArgumentException("board '" + boardId + "' has two channels named '" + c.name() + "'");
            }
            if (c instanceof Actuator actuator) {
                a.add(actuator);
            }
            infos.add(c.info());
        }
        this.boardId = boardId;
        this.byName = Collections.unmodifiableMap(m);
        this.list = List.copyOf(m.values());
        this.actuators = List.copyOf(a);
        this.info = new BoardInfo(boardId, model, backend, infos);
    }

    /** @return the board's description */
    public BoardInfo info() {
        return info;
    }

    /** @return every channel, in the order the board lists them */
    public List<Channel> list() {
        return list;
    }

    /** @return the channels that move something: what the board's {@link MotionGuard} holds */
    public List<Actuator> actuators() {
        return actuators;
    }

    /** @return how many channels the board has */
    public int size() {
        return list.size();
    }

    /**
     * Serves {@link Board#channel}.
     *
     * @throws io.armature.hal.UnknownChannelException as {@link Channels#find} does
     */
    public <T extends Channel> T find(String name, Class<T> type) {
        return Channels.find(boardId, byName, name, type);
    }
}
