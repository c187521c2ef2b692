package io.armature.shell.internal;

import java.util.ArrayList;
import java.util.List;

import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.hal.UnknownChannelException;
import io.armature.kit.service.NamedServices;

/**
 * Finds a channel by the name an operator types: {@code motor.left.pwm} when one board has it,
 * or {@code board/channel} to pick the board.
 */
final class Boards {

    private Boards() {
    }

    /** @return the boards a command component tracks, by id; every instance of an id counts (an e-stop reaches them all) */
    static NamedServices<Board> tracker() {
        return NamedServices.byName(b -> b.info().id());
    }

    static <T extends Channel> T find(List<Board> boards, String spec, Class<T> type, String command) {
        if (boards.isEmpty()) {
            throw new IllegalArgumentException("no board is installed; install a board bundle (armature.board.sim, armature.board.pi4j, ...)");
        }
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("name a channel; hal:list shows them");
        }
        String boardId = null;
        String name = spec.trim();
        int slash = name.indexOf('/');
        if (slash >= 0) {
            boardId = name.substring(0, slash);
            name = name.substring(slash + 1);
        }
        List<Board> having = new ArrayList<>();
        List<String> known = new ArrayList<>();
        for (Board b : boards) {
            if (boardId != null && !b.info().id().equals(boardId)) {
                continue;
            }
            for (ChannelInfo c : b.info().channels()) {
                known.add(boards.size() > 1 ? b.info().id() + "/" + c.name() : c.name());
            }
            if (b.info().channel(name).isPresent()) {
                having.add(b);
            }
        }
        if (boardId != null && known.isEmpty()) {
            throw new IllegalArgumentException("no board '" + boardId + "'; boards: " + ids(boards));
        }
        if (having.isEmpty()) {
            throw new UnknownChannelException("unknown channel '" + spec + "'; hal:list shows the channels: " + String.join(", ", known));
        }
        if (having.size() > 1) {
            throw new IllegalArgumentException("channel '" + name + "' exists on boards " + ids(having) + "; name one as board/" + name);
        }
        Board board = having.get(0);
        ChannelInfo info = board.info().channel(name).orElseThrow();
        Channel c = board.channel(name, Channel.class);
        if (!type.isInstance(c)) {
            throw new IllegalArgumentException(command + " works on " + type.getSimpleName() + " channels; " + name + " is " + info.type());
        }
        return type.cast(c);
    }

    private static String ids(List<Board> boards) {
        List<String> ids = new ArrayList<>();
        for (Board b : boards) {
            ids.add(b.info().id());
        }
        return String.join(", ", ids);
    }
}
