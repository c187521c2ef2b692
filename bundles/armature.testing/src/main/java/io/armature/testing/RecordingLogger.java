package io.armature.testing;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.regex.Matcher;

import org.osgi.service.log.Logger;

/** A logger for tests that keeps each line as "LEVEL message", with the {} placeholders filled in. */
public final class RecordingLogger {

    private RecordingLogger() {
    }

    /** @return a logger that appends every line it is given to {@code lines}; every level is enabled */
    public static Logger into(List<String> lines) {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (proxy, method, args) -> {
            if (args != null && args.length > 0 && args[0] instanceof String format) {
                String text = format;
                for (int i = 1; i < args.length; i++) {
                    Object[] values = args[i] instanceof Object[] varargs ? varargs : new Object[] {args[i]};
                    for (Object v : values) {
                        text = text.replaceFirst("\\{\\}", Matcher.quoteReplacement(String.valueOf(v)));
                    }
                }
                lines.add(method.getName().toUpperCase() + " " + text);
            }
            return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
    }
}
