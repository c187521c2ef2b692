package io.armature.testing;

import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Builds an instance of a component property type (a DS configuration annotation) from its
 * defaults plus overrides, as SCR would, so a test can construct a component directly.
 */
public final class ComponentConfigs {

    private ComponentConfigs() {
    }

    /**
     * @param type      the configuration annotation type
     * @param overrides values by method name (for {@code armature_loop_name()}, the key is
     *                  {@code armature_loop_name}); everything else takes its default
     * @throws IllegalStateException when a method without a default is called and not overridden
     */
    public static <T> T of(Class<T> type, Map<String, Object> overrides) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (overrides.containsKey(method.getName())) {
                return overrides.get(method.getName());
            }
            Object d = method.getDefaultValue();
            if (d != null) {
                return d;
            }
            return switch (method.getName()) {
                case "annotationType" -> type;
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> type.getSimpleName() + overrides;
                default -> throw new IllegalStateException("no value for " + method.getName() + " and no default");
            };
        }));
    }
}
