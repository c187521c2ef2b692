package io.armature.shell.internal;

import java.util.List;
import java.util.Locale;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.armature.hal.AnalogInput;
import io.armature.hal.Board;
import io.armature.kit.service.NamedServices;
import io.armature.hal.Channel;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;

/**
 * {@code hal:*} commands: list channels, set PWM duty and digital outputs, read inputs and ADCs.
 * Arguments arrive as text and are checked here, so a typo gets a sentence, not a coercion error.
 */
@Component(service = HalCommands.class, immediate = true, property = {
        "osgi.command.scope=hal",
        "osgi.command.function=list",
        "osgi.command.function=pwm",
        "osgi.command.function=gpio",
        "osgi.command.function=adc"})
public final class HalCommands {

    private final NamedServices<Board> boards = Boards.tracker();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board b) {
        boards.add(b);
    }

    void removeBoard(Board b) {
        boards.remove(b);
    }

    /**
     * hal:list — every channel of every board with its type, resolution, value and safe state. A
     * channel whose read fails (an ADC chip that does not answer) shows a short reason in place
     * of its value; the other channels are listed as usual.
     */
    public String list() {
        if (boards.isEmpty()) {
            return "no board is installed";
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-8s %-20s %-15s %4s  %-16s %s%n", "BOARD", "CHANNEL", "TYPE", "BITS", "VALUE", "SAFE STATE"));
        for (Board b : boards.instances()) {
            for (Channel c : b.channels()) {
                out.append(String.format("%-8s %-20s %-15s %4d  %-16s %s%n", b.info().id(), c.name(), c.info().type(),
                        c.info().resolutionBits(), valueOrReason(c), c.info().safeState().isEmpty() ? "-" : c.info().safeState()));
            }
        }
        return out.toString().stripTrailing();
    }

    /** Longest reason shown in place of a value, in characters. */
    static final int MAX_REASON = 60;

    static String valueOrReason(Channel c) {
        try {
            return value(c);
        } catch (RuntimeException e) {
            return "error: " + reason(c, e);
        }
    }

    /** The first line of the failure's message, without the channel name it often starts with, at most {@link #MAX_REASON} characters. */
    private static String reason(Channel c, RuntimeException e) {
        String m = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage().strip();
        m = m.lines().findFirst().orElse(m);
        if (m.startsWith(c.name() + ": ")) {
            m = m.substring(c.name().length() + 2);
        }
        return m.length() <= MAX_REASON ? m : m.substring(0, MAX_REASON - 3) + "...";
    }

    static String value(Channel c) {
        if (c instanceof PwmOutput p) {
            return "duty " + p.duty();
        }
        if (c instanceof DigitalOutput d) {
            return d.get() ? "1" : "0";
        }
        if (c instanceof DigitalInput d) {
            return d.read() ? "1" : "0";
        }
        if (c instanceof AnalogInput a) {
            return a.readMillivolts() + " mV";
        }
        return "-";
    }

    /** hal:pwm &lt;channel&gt; — prints the duty and frequency. */
    public String pwm(String channel) {
        PwmOutput p = Boards.find(boards.instances(), channel, PwmOutput.class, "hal:pwm");
        return describe(p);
    }

    /** hal:pwm &lt;channel&gt; &lt;duty 0..65535&gt; — sets the duty. */
    public String pwm(String channel, String duty) {
        PwmOutput p = Boards.find(boards.instances(), channel, PwmOutput.class, "hal:pwm");
        int value = parseInt(duty, "duty", 0, PwmOutput.MAX_DUTY);
        p.setDuty(value);
        refusedUnlessApplied(p, value != 0 && p.duty() != value);
        return describe(p);
    }

    private static String describe(PwmOutput p) {
        return String.format(Locale.ROOT, "%s duty %d/65535 (%.1f%%) at %.0f Hz", p.name(), p.duty(),
                p.duty() * 100.0 / PwmOutput.MAX_DUTY, p.frequency());
    }

    /** hal:gpio &lt;channel&gt; — reads a digital input or output. */
    public String gpio(String channel) {
        Channel c = Boards.find(boards.instances(), channel, Channel.class, "hal:gpio");
        if (c instanceof DigitalInput in) {
            return c.name() + " = " + (in.read() ? 1 : 0);
        }
        if (c instanceof DigitalOutput o) {
            return c.name() + " = " + (o.get() ? 1 : 0);
        }
        throw new IllegalArgumentException("hal:gpio works on digital channels; " + c.name() + " is " + c.info().type());
    }

    /** hal:gpio &lt;channel&gt; &lt;0|1&gt; — drives a digital output. */
    public String gpio(String channel, String level) {
        Channel c = Boards.find(boards.instances(), channel, Channel.class, "hal:gpio");
        if (!(c instanceof DigitalOutput o)) {
            throw new IllegalArgumentException("hal:gpio sets digital outputs only; " + c.name() + " is " + c.info().type());
        }
        int v = parseInt(level, "level", 0, 1);
        o.set(v == 1);
        refusedUnlessApplied(o, o.get() != (v == 1));
        return c.name() + " = " + v;
    }

    /** A board without a motion permit keeps its actuators safe: say so instead of showing a silent 0. */
    private void refusedUnlessApplied(Channel c, boolean notApplied) {
        if (!notApplied) {
            return;
        }
        for (Board b : boards.instances()) {
            if (b.channels().contains(c) && !b.motionPermitted()) {
                throw new IllegalStateException(c.name() + " stays in its safe state: board '" + b.info().id()
                        + "' has no motion permit (safety tripped? robot:status, robot:reset)");
            }
        }
    }

    /** hal:adc &lt;channel&gt; — reads an analog input in millivolts. */
    public String adc(String channel) {
        AnalogInput a = Boards.find(boards.instances(), channel, AnalogInput.class, "hal:adc");
        return a.name() + " " + a.readMillivolts() + " mV";
    }

    static int parseInt(String text, String what, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(text == null ? "" : text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a whole number " + min + ".." + max + ", was '" + text + "'");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", was " + v);
        }
        return v;
    }
}
