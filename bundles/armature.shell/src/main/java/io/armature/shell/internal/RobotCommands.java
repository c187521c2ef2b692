package io.armature.shell.internal;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.kit.service.NamedServices;
import io.armature.hal.Channel;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.kit.motion.DirectStop;

/** {@code robot:status}: boards and channels, the state of every Armature component, and safety. */
@Component(service = RobotCommands.class, immediate = true, property = {
        "osgi.command.scope=robot",
        "osgi.command.function=status",
        "osgi.command.function=estop",
        "osgi.command.function=reset",
        "osgi.command.function=release"})
public final class RobotCommands {

    private final NamedServices<Board> boards = Boards.tracker();

    @Reference
    private ServiceComponentRuntime scr;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SafetySupervisor safety;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MotionCommands commands;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board b) {
        boards.add(b);
    }

    void removeBoard(Board b) {
        boards.remove(b);
    }

    public String status() {
        StringBuilder out = new StringBuilder();
        out.append("Boards:\n");
        if (boards.isEmpty()) {
            out.append("  none installed\n");
        }
        for (Board b : boards.instances()) {
            int actuators = 0;
            int safe = 0;
            for (Channel c : b.channels()) {
                if (c instanceof Actuator a) {
                    actuators++;
                    safe += a.isSafe() ? 1 : 0;
                }
            }
            out.append(String.format("  %s: %s (backend %s), %d channels, %d of %d actuators in safe state%n",
                    b.info().id(), b.info().model(), b.info().backend(), b.info().channels().size(), safe, actuators));
        }

        out.append("Components:\n");
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!d.bundle.symbolicName.startsWith("armature.")) {
                continue;
            }
            if (!scr.isComponentEnabled(d)) {
                out.append(String.format("  %-58s DISABLED%n", d.name));
                continue;
            }
            var configs = scr.getComponentConfigurationDTOs(d);
            if (configs.isEmpty()) {
                out.append(String.format("  %-58s NO CONFIGURATION (policy %s)%n", d.name, d.configurationPolicy));
            }
            for (ComponentConfigurationDTO c : configs) {
                out.append(String.format("  %-58s %s%n", d.name + instance(c), state(c)));
            }
        }

        out.append("Safety:\n");
        SafetySupervisor s = safety;
        if (s == null) {
            out.append("  no safety supervisor installed: nothing moves");
        } else {
            out.append("  ").append(s.state());
            s.tripReason().ifPresent(r -> out.append(String.format(java.util.Locale.ROOT, " for %.1f s: %s: %s",
                    (System.nanoTime() - r.monotonicNanos()) / 1e9, r.source(), r.message())));
            for (String condition : s.unhealthy()) {
                out.append("\n  not healthy: ").append(condition);
            }
        }
        return out.toString();
    }

    /** robot:estop [reason...] — every actuator safe now; latched until robot:reset. Works without a supervisor too. */
    public String estop(String... reason) {
        String why = reason == null || reason.length == 0 ? "e-stop from the shell" : String.join(" ", reason);
        MotionCommands c = commands;
        if (c == null) {
            return "E-STOP: no motion-command service is running: " + DirectStop.estop(SOURCE, why, safety, boards.instances());
        }
        return "E-STOP: " + c.estop(SOURCE, why);
    }

    /** robot:reset — clears a trip when every condition is healthy again. Moves nothing. */
    public String reset() {
        SafetySupervisor s = safety;
        if (s != null && s.mayMove()) {
            return "not tripped: motion is allowed";
        }
        requireCommands().reset(SOURCE);
        return "reset: motion is allowed again; every setpoint is 0 until a new command";
    }

    /** robot:release — withdraws the shell's motion commands: each loop goes to the next source's command, or 0. */
    public String release() {
        requireCommands().release(SOURCE);
        return "released: the shell commands no loop now";
    }

    /** The source name of the shell's commands in armature.motion. */
    static final String SOURCE = "gogo";

    private MotionCommands requireCommands() {
        MotionCommands c = commands;
        if (c == null) {
            throw new IllegalStateException("no motion-command service is running (bundle armature.motion)");
        }
        return c;
    }

    /** @return which instance of a factory-configured component this is, for example " [left]" */
    static String instance(ComponentConfigurationDTO c) {
        for (String key : new String[] {"armature.loop.name", "armature.stream", "armature.board"}) {
            Object v = c.properties == null ? null : c.properties.get(key);
            if (v != null) {
                return " [" + v + "]";
            }
        }
        return "";
    }

    static String state(ComponentConfigurationDTO c) {
        return switch (c.state) {
            case ComponentConfigurationDTO.ACTIVE -> "ACTIVE";
            case ComponentConfigurationDTO.SATISFIED -> "SATISFIED";
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "UNSATISFIED (waits for configuration)";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "UNSATISFIED (needs " + needs(c) + ")";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "FAILED: " + rootCause(c.failure);
            default -> "state " + c.state;
        };
    }

    private static String needs(ComponentConfigurationDTO c) {
        StringBuilder b = new StringBuilder();
        for (UnsatisfiedReferenceDTO r : c.unsatisfiedReferences) {
            b.append(b.length() == 0 ? "" : ", ").append(r.name);
        }
        return b.toString();
    }

    /** @return the innermost cause of a failure stack trace, on one line: what the operator needs */
    static String rootCause(String trace) {
        if (trace == null || trace.isBlank()) {
            return "unknown";
        }
        String line = trace.lines().findFirst().orElse("").trim();
        for (String l : (Iterable<String>) trace.lines()::iterator) {
            if (l.startsWith("Caused by: ")) {
                line = l.substring("Caused by: ".length()).trim();
            }
        }
        return line;
    }
}
