package io.armature.safety.internal;

import java.util.Map;

import io.armature.hal.Board;
import io.armature.kit.service.NamedServices;

/**
 * The boards there are, by id. The supervision cycle runs every millisecond: it reads a map and
 * arrays swapped whole when a board comes or goes, so that it neither allocates nor locks. Of
 * two boards of one id (a board replaced side by side) the newest is fed; a trip revokes both.
 */
final class Boards {

    private final NamedServices<Board> byId = NamedServices.byName(b -> b.info().id());
    private volatile Map<String, Board> chosen = Map.of();
    private volatile Board[] fed = new Board[0];
    private volatile Board[] all = new Board[0];

    synchronized void add(Board board) {
        byId.add(board);
        refresh();
    }

    /** @return the id it was there under; null when it was not there */
    synchronized String remove(Board board) {
        String id = byId.nameOf(board);
        byId.remove(board);
        refresh();
        return id;
    }

    private void refresh() {
        chosen = Map.copyOf(byId.chosen());
        fed = chosen.values().toArray(new Board[0]);
        all = byId.instances().toArray(new Board[0]);
    }

    /** @return the board of that id; null when none is there */
    Board get(String id) {
        return chosen.get(id);
    }

    boolean present(String id) {
        return chosen.containsKey(id);
    }

    /** @return the board of each id, whose permit a healthy cycle feeds */
    Board[] toFeed() {
        return fed;
    }

    /** @return every board there is, whose permit a trip revokes */
    Board[] toRevoke() {
        return all;
    }
}
