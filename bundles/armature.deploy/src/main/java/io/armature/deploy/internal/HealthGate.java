package io.armature.deploy.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.armature.control.LoopStatistics;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.SafetyState;

/**
 * Judges whether a changed bundle set is healthy: every bundle of the set active, every enabled
 * component satisfied or active, every safety supervisor {@link SafetyState#OK}, and every control
 * loop running without a failure at no less than a fraction of its rate, measured over a window.
 */
final class HealthGate {

    /** The window over which a loop's rate is measured, in ms. */
    static final long RATE_WINDOW_MILLIS = 500;

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final double minRateFraction;

    HealthGate(BundleContext context, ServiceComponentRuntime scr, double minRateFraction) {
        this.context = context;
        this.scr = scr;
        this.minRateFraction = minRateFraction;
    }

    /**
     * Checks until two windows in a row are healthy, or the time-out passes.
     *
     * @param bundles       the bundles that must be active
     * @param timeoutMillis how long to wait for health, in ms
     * @param progress      told when the gate starts, what it waits for whenever that changes,
     *                      and that it passed
     * @return empty when healthy; else what was still wrong when the time ran out, in one line
     */
    Optional<String> await(Collection<Bundle> bundles, long timeoutMillis, Consumer<String> progress) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        progress.accept("health gate: up to " + timeoutMillis / 1000.0 + " s for every component active, the supervisor healthy and "
                + "every loop at its rate, twice in a row");
        int healthy = 0;
        List<String> problems = List.of();
        String told = "";
        while (true) {
            problems = problems(bundles);
            healthy = problems.isEmpty() ? healthy + 1 : 0;
            if (healthy == 2) {
                progress.accept("health gate passed");
                return Optional.empty();
            }
            String waiting = String.join("; ", problems);
            String news = waiting.replaceAll("[0-9.]+", "#"); // a loop's measured rate alone is no news
            if (!problems.isEmpty() && !news.equals(told)) {
                progress.accept("health gate waits: " + waiting);
                told = news;
            }
            if (System.nanoTime() > deadline) {
                List<String> shown = problems.size() > 3 ? problems.subList(0, 3) : problems;
                return Optional.of(String.join("; ", shown) + (problems.size() > 3 ? "; and " + (problems.size() - 3) + " more" : ""));
            }
            if (problems.stream().anyMatch(p -> !p.startsWith("loop "))) {
                Thread.sleep(50); // a loop window is its own wait; anything else is polled
            }
        }
    }

    /** One look at the set, including a loop-rate window of {@value #RATE_WINDOW_MILLIS} ms. */
    List<String> problems(Collection<Bundle> bundles) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        for (Bundle b : bundles) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            boolean lazy = b.getState() == Bundle.STARTING
                    && Constants.ACTIVATION_LAZY.equals(b.getHeaders().get(Constants.BUNDLE_ACTIVATIONPOLICY));
            if (!fragment && !lazy && b.getState() != Bundle.ACTIVE) {
                problems.add("bundle " + BundleSet.name(b) + " is not active");
            } else if (b.getState() == Bundle.ACTIVE && b.getHeaders().get("Service-Component") != null
                    && scr.getComponentDescriptionDTOs(b).isEmpty()) {
                problems.add("bundle " + BundleSet.name(b) + " declares components that SCR could not read");
            }
        }
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!scr.isComponentEnabled(d)) {
                if (d.defaultEnabled) {
                    problems.add("component " + d.name + " could not be enabled");
                }
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    problems.add("component " + d.name + " failed to activate: " + firstLine(c.failure));
                } else if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                    problems.add("component " + d.name + " is missing a service it needs");
                } else if (c.state == ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION) {
                    problems.add("component " + d.name + " waits for its configuration");
                } else if (c.state == ComponentConfigurationDTO.SATISFIED && d.immediate) {
                    // an immediate component is activated as soon as it is satisfied; staying
                    // satisfied means SCR could not create it (a missing class leaves it so)
                    problems.add("component " + d.name + " is satisfied but was never activated");
                }
            }
        }
        Map<ServiceReference<SafetySupervisor>, SafetySupervisor> supervisors = services(SafetySupervisor.class);
        for (SafetySupervisor s : supervisors.values()) {
            if (s.state() != SafetyState.OK) {
                problems.add("the safety supervisor is tripped: "
                        + s.tripReason().map(t -> t.source() + ": " + t.message()).orElse("no reason given"));
            }
        }
        supervisors.keySet().forEach(context::ungetService);
        problems.addAll(loopProblems());
        return problems;
    }

    private List<String> loopProblems() throws InterruptedException {
        Map<ServiceReference<LoopStatistics>, LoopStatistics> loops = services(LoopStatistics.class);
        Map<LoopStatistics, Long> cycles = new HashMap<>();
        loops.values().forEach(l -> cycles.put(l, l.cycles()));
        long t0 = System.nanoTime();
        if (!loops.isEmpty()) {
            Thread.sleep(RATE_WINDOW_MILLIS);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> problems = new ArrayList<>();
        for (LoopStatistics l : loops.values()) {
            if (l.failure().isPresent()) {
                problems.add("loop " + l.name() + " stopped: " + l.failure().get());
                continue;
            }
            double rate = (l.cycles() - cycles.get(l)) / seconds;
            if (rate < minRateFraction * l.rateHz()) {
                problems.add(String.format(Locale.ROOT, "loop %s runs at %.0f Hz, below %.0f%% of its %.0f Hz", l.name(), rate,
                        minRateFraction * 100, l.rateHz()));
            }
        }
        loops.keySet().forEach(context::ungetService);
        return problems;
    }

    private <T> Map<ServiceReference<T>, T> services(Class<T> type) {
        Map<ServiceReference<T>, T> found = new HashMap<>();
        try {
            for (ServiceReference<T> r : context.getServiceReferences(type, null)) {
                T s = context.getService(r);
                if (s != null) {
                    found.put(r, s);
                }
            }
        } catch (InvalidSyntaxException impossible) {
            throw new IllegalStateException(impossible);
        }
        return found;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no reason given";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
