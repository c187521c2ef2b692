package io.armature.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.log.Logger;

class StartupReporterTest {

    @SuppressWarnings("unchecked")
    private static <T> T fake(Class<T> type, java.util.function.BiFunction<String, Object[], Object> answer) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> answer.apply(m.getName(), a));
    }

    @Test
    void aComponentRuntimeThatThrowsWhileComponentsChangeDelaysTheReadyLineAndDoesNotEndIt() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        // SCR 2.2.18 has thrown a NullPointerException from its DTOs while a component was being configured
        ServiceComponentRuntime scr = fake(ServiceComponentRuntime.class, (m, a) -> {
            if (m.equals("getComponentDescriptionDTOs")) {
                if (asked.incrementAndGet() <= 3) {
                    throw new NullPointerException("Cannot invoke \"java.util.Map.size()\" because \"m\" is null");
                }
                return List.of();
            }
            return null;
        });
        BundleContext context = fake(BundleContext.class, (m, a) -> switch (m) {
            case "getBundles" -> new Bundle[0];
            case "getProperty" -> "armature.robot".equals(a[0]) ? "test-robot" : null;
            case "getServiceReferences" -> List.of();
            default -> null;
        });
        Logger log = fake(Logger.class, (m, a) -> null);
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        StartupReporter reporter = null;
        try {
            reporter = new StartupReporter(scr, log, context);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!printed.toString(StandardCharsets.UTF_8).contains("Armature test-robot ready: ") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } finally {
            System.setOut(out);
            if (reporter != null) {
                reporter.deactivate();
            }
        }
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("Armature test-robot ready: 0 bundles, 0 components"),
                "the ready line came once SCR answered again:\n" + printed.toString(StandardCharsets.UTF_8));
        assertTrue(asked.get() > 3, "it asked again after the failures");
    }

    @Test
    void anImmediateComponentStillBeingActivatedKeepsTheRuntimeFromReadyAndADelayedOneDoesNot() {
        org.osgi.service.component.runtime.dto.ComponentDescriptionDTO bridge = new org.osgi.service.component.runtime.dto.ComponentDescriptionDTO();
        bridge.name = "ros-bridge";
        bridge.immediate = true;
        org.osgi.service.component.runtime.dto.ComponentDescriptionDTO lazy = new org.osgi.service.component.runtime.dto.ComponentDescriptionDTO();
        lazy.name = "lazy-service";
        lazy.immediate = false;
        org.osgi.service.component.runtime.dto.ComponentConfigurationDTO satisfied = new org.osgi.service.component.runtime.dto.ComponentConfigurationDTO();
        satisfied.state = org.osgi.service.component.runtime.dto.ComponentConfigurationDTO.SATISFIED;
        ServiceComponentRuntime scr = fake(ServiceComponentRuntime.class, (m, a) -> switch (m) {
            case "getComponentDescriptionDTOs" -> List.of(bridge, lazy);
            case "isComponentEnabled" -> true;
            case "getComponentConfigurationDTOs" -> List.of(satisfied);
            default -> null;
        });
        BundleContext context = fake(BundleContext.class, (m, a) -> switch (m) {
            case "getBundles" -> new Bundle[0];
            default -> null;
        });
        StartupReporter reporter = new StartupReporter(scr, fake(Logger.class, (m, a) -> null), context, false);
        assertEquals(List.of("component ros-bridge is being activated"), reporter.missing());
    }
}
