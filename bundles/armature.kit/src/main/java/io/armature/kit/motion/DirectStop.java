package io.armature.kit.motion;

import java.util.ArrayList;
import java.util.List;

import io.armature.hal.Board;
import io.armature.safety.SafetySupervisor;

/**
 * The e-stop an interface gives when the motion-command path itself is gone (its bundle is being
 * updated, or is not there): an e-stop must still work. It trips the supervisor when there is one,
 * so the stop is latched and its next feed does not undo it, and revokes every board's motion
 * permit directly. One board or supervisor that throws does not keep the others from stopping.
 */
public final class DirectStop {

    private DirectStop() {
    }

    /**
     * @param source     the interface, as the supervisor's trip names it
     * @param reason     why, as the operator gave it
     * @param supervisor the supervisor, or null when none runs
     * @param boards     every board there is
     * @return what was done, in one line
     */
    public static String estop(String source, String reason, SafetySupervisor supervisor, Iterable<? extends Board> boards) {
        List<String> done = new ArrayList<>();
        if (supervisor != null) {
            try {
                supervisor.estop(source, reason);
                done.add("supervisor tripped");
            } catch (RuntimeException e) {
                done.add("supervisor e-stop failed: " + oneLine(e));
            }
        }
        int revoked = 0;
        for (Board b : boards) {
            try {
                b.revokeMotion();
                revoked++;
            } catch (RuntimeException e) {
                done.add("board " + b.info().id() + " not revoked: " + oneLine(e));
            }
        }
        done.add("motion permit revoked on " + revoked + " board" + (revoked == 1 ? "" : "s"));
        return String.join(", ", done);
    }

    private static String oneLine(RuntimeException e) {
        String m = e.getMessage();
        return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replaceAll("\\s+", " ");
    }
}
