package io.armature.runtime.internal;

import java.io.PrintStream;
import java.util.Collections;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Prints log entries to the terminal, one line each: level, bundle, message and the
 * exception's message, never a stack trace (set {@code stackTraces} for that). Armature
 * bundles log at {@code armatureLevel} and above, every other bundle at {@code otherLevel}.
 */
@Component(immediate = true, service = {}, configurationPid = "armature.log")
@Designate(ocd = ConsoleLogWriter.Config.class)
public final class ConsoleLogWriter implements LogListener {

    @ObjectClassDefinition(name = "Armature console log", description = "What the runtime prints to the terminal.")
    public @interface Config {
        @AttributeDefinition(name = "Armature level", description = "Lowest level printed for armature.* bundles: ERROR, WARN, INFO, DEBUG.")
        LogLevel armatureLevel() default LogLevel.INFO;

        @AttributeDefinition(name = "Other bundles' level", description = "Lowest level printed for every other bundle.")
        LogLevel otherLevel() default LogLevel.WARN;

        @AttributeDefinition(name = "Stack traces", description = "Print the stack trace of logged exceptions.")
        boolean stackTraces() default false;
    }

    private final PrintStream out;
    private volatile Config config;
    private LogReaderService reader;

    public ConsoleLogWriter() {
        this(System.err);
    }

    ConsoleLogWriter(PrintStream out) {
        this.out = out;
    }

    /** Held strongly: java.util.logging keeps loggers only weakly, and would forget the level. */
    private final java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
    private java.util.logging.Level julLevelBefore;

    @Activate
    void activate(Config c) {
        julLevelBefore = julRoot.getLevel();
        configure(c);
        replayHistory();
    }

    @Modified
    void configure(Config c) {
        this.config = c;
        // Libraries that log through java.util.logging (SPI Fly, Jetty's fallbacks) follow the
        // level set for other bundles, so the terminal is not flooded at start.
        julRoot.setLevel(julLevel(c.otherLevel()));
    }

    static java.util.logging.Level julLevel(LogLevel level) {
        return switch (level) {
            case AUDIT, ERROR -> java.util.logging.Level.SEVERE;
            case WARN -> java.util.logging.Level.WARNING;
            case INFO -> java.util.logging.Level.INFO;
            case DEBUG -> java.util.logging.Level.FINE;
            case TRACE -> java.util.logging.Level.FINEST;
        };
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    synchronized void bindReader(LogReaderService r) {
        if (reader != null) {
            reader.removeLogListener(this);
        }
        reader = r;
        replayHistory();
        r.addLogListener(this);
    }

    private boolean replayed;

    /**
     * What went wrong before this component started (a board whose activate threw, at a lower
     * start level) is in the log's history: print it once, oldest first, so no start-up error is
     * silent. Runs when both the configuration and the log reader are there.
     */
    private synchronized void replayHistory() {
        LogReaderService r = reader;
        if (replayed || r == null || config == null) {
            return;
        }
        replayed = true;
        List<LogEntry> earlier = Collections.list(r.getLog());
        Collections.reverse(earlier);
        for (LogEntry e : earlier) {
            logged(e);
        }
    }

    synchronized void unbindReader(LogReaderService r) {
        if (reader == r) {
            r.removeLogListener(this);
            reader = null;
        }
    }

    @Deactivate
    synchronized void deactivate() {
        julRoot.setLevel(julLevelBefore);
        if (reader != null) {
            reader.removeLogListener(this);
            reader = null;
        }
    }

    @Override
    public void logged(LogEntry entry) {
        Config c = config;
        if (c == null) {
            return;
        }
        String logger = entry.getLoggerName();
        if (logger != null && logger.startsWith("Events.") && !LogLevel.WARN.implies(entry.getLogLevel())) {
            return; // the framework's own record of every bundle and service event: not for the terminal
        }
        String bundle = entry.getBundle() == null ? "framework" : entry.getBundle().getSymbolicName();
        boolean ours = bundle != null && bundle.startsWith("armature.");
        LogLevel threshold = ours ? c.armatureLevel() : c.otherLevel();
        if (!threshold.implies(entry.getLogLevel())) {
            return;
        }
        out.println(format(entry.getLogLevel(), bundle, entry.getMessage(), entry.getException()));
        if (c.stackTraces() && entry.getException() != null) {
            entry.getException().printStackTrace(out);
        }
    }

    /** One line: {@code [armature] WARN  bundle: message: ExceptionType: exception message}. */
    static String format(LogLevel level, String bundle, String message, Throwable exception) {
        StringBuilder b = new StringBuilder(128).append("[armature] ")
                .append(String.format("%-5s ", level.name())).append(bundle).append(": ").append(oneLine(message));
        Throwable root = exception;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != null) {
            String m = root.getMessage();
            b.append(": ").append(root.getClass().getSimpleName());
            if (m != null && (message == null || !message.contains(m))) {
                b.append(": ").append(oneLine(m));
            }
        }
        return b.toString();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
