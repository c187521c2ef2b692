package io.armature.safety.internal;

import java.util.function.Function;

import io.armature.hal.Board;
import io.armature.hal.DigitalInput;

/**
 * The active-low e-stop input. To trip, it must read low for the debounce time, or not be
 * readable at all (which counts as pressed). A reset is refused while it reads low at all.
 * A board that is missing is its own fault, not this one's.
 */
final class EstopCheck implements SafetyCheck {

    private final String board;
    private final String channel;
    private final long debounceNanos;
    private final Function<String, Board> boards;
    private final CheckResult pressed;
    private final CheckResult bouncing;
    private volatile long lowSince = -1;

    EstopCheck(String board, String channel, long debounceNanos, Function<String, Board> boards) {
        this.board = board;
        this.channel = channel;
        this.debounceNanos = debounceNanos;
        this.boards = boards;
        this.pressed = CheckResult.failed("estop:input", "e-stop button " + board + "/" + channel + " pressed", "the e-stop button is pressed");
        this.bouncing = new CheckResult(CheckResult.Status.NOT_READY, pressed.source(), null, pressed.resetReason());
    }

    /** @return true when this check reads the input the settings name, with their debounce */
    boolean reads(Settings s) {
        return board.equals(s.estopBoard()) && channel.equals(s.estopChannel()) && debounceNanos == s.debounceNanos();
    }

    /** Keeps since when the input reads low: the debounce. */
    @Override
    public void observe(long now, boolean tripped) {
        Board b = boards.apply(board);
        if (b == null) {
            return;
        }
        boolean low;
        try {
            low = !b.channel(channel, DigitalInput.class).read();
        } catch (RuntimeException e) {
            return; // judged as pressed by evaluate
        }
        if (!low) {
            lowSince = -1;
        } else if (lowSince < 0) {
            lowSince = now;
        }
    }

    /** Reads the input afresh: a reset must see the button as it is now, not as the last cycle saw it. */
    @Override
    public CheckResult evaluate(long now) {
        Board b = boards.apply(board);
        if (b == null) {
            return CheckResult.OK;
        }
        try {
            if (b.channel(channel, DigitalInput.class).read()) {
                return CheckResult.OK;
            }
        } catch (RuntimeException e) {
            return CheckResult.failed(pressed.source(), pressed.tripMessage(), "the e-stop input cannot be read: " + e.getMessage());
        }
        long since = lowSince;
        return since >= 0 && now - since >= debounceNanos ? pressed : bouncing;
    }
}
