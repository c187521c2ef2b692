package io.armature.control.internal;

import java.lang.reflect.Proxy;
import java.util.Map;

/** Builds a component property type instance from its defaults plus overrides, as SCR would. */
final class Configs {
    private Configs() {
    }

    static <T> T of(Class<T> type, Map<String, Object> overrides) {
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
                default -> throw new IllegalStateException("no value for " + method.getName());
            };
        }));
    }
}
