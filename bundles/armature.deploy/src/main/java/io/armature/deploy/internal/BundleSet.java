package io.armature.deploy.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.log.Logger;

import io.armature.control.ControlLoop;

/**
 * The framework's bundles as the deployer sees and changes them: the running set with each jar's
 * checksum, and the one way a set is turned into another (for a change and for its rollback
 * alike): install beside, start the new, retire the old, refresh.
 */
final class BundleSet {

    /** Where bundles installed by the deployer say they came from: {@code armature-deploy:<bsn>/<version>/<sha256>}. */
    static final String LOCATION_SCHEME = "armature-deploy:";

    /** Gives the jar of an entry of the target set. */
    @FunctionalInterface
    interface JarSource {
        byte[] jar(FeatureDescriptor.Entry e) throws IOException;
    }

    private final BundleContext context;
    private final Logger log;
    private final Map<String, String> fileShas = new ConcurrentHashMap<>();

    BundleSet(BundleContext context, Logger log) {
        this.context = context;
        this.log = log;
    }

    /** Every installed bundle but the system bundle and the deployer itself. */
    List<SetDiff.Running> running() {
        List<SetDiff.Running> running = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0 || b.getBundleId() == context.getBundle().getBundleId()) {
                continue;
            }
            running.add(new SetDiff.Running(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), knownSha(b)));
        }
        return running;
    }

    /** @return the ids of the bundles the deployer is wired to: a refresh of one would stop it in the middle of a change */
    Set<Long> ownProviders() {
        Set<Long> providers = new HashSet<>();
        BundleWiring wiring = context.getBundle().adapt(BundleWiring.class);
        for (BundleWire w : wiring.getRequiredWires(null)) {
            providers.add(w.getProvider().getBundle().getBundleId());
        }
        return providers;
    }

    /** The checksum of a running bundle's jar: from the deployer's location, or by reading a file location. */
    private String knownSha(Bundle b) {
        String location = b.getLocation();
        if (location.startsWith(LOCATION_SCHEME)) {
            String[] parts = location.substring(LOCATION_SCHEME.length()).split("/");
            return parts[parts.length - 1];
        }
        Path file = locationFile(location);
        if (file != null && Files.isRegularFile(file)) {
            try {
                // feature:list and GET features look at every running jar for every feature: hash each file once
                String key = file + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
                String sha = fileShas.get(key);
                if (sha == null) {
                    try (InputStream in = Files.newInputStream(file)) {
                        sha = Sha256.of(in.readAllBytes());
                    }
                    fileShas.put(key, sha);
                }
                return sha;
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    /** @return the file a location points at ({@code file:} or {@code reference:file:}), or null */
    static Path locationFile(String location) {
        String l = location.startsWith("reference:") ? location.substring("reference:".length()) : location;
        if (!l.startsWith("file:")) {
            return null;
        }
        try {
            return Path.of(URI.create(l));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** @return the jar a running bundle was installed from, when its location is a file that still holds that bundle; else null */
    byte[] installedJar(Bundle b) {
        Path file = locationFile(b.getLocation());
        if (file != null) {
            try {
                byte[] jar = Files.readAllBytes(file);
                String[] id = BundleJar.identity(jar);
                if (id[0].equals(b.getSymbolicName()) && Version.parseVersion(id[1]).equals(b.getVersion())) {
                    return jar;
                }
            } catch (IOException | IllegalArgumentException e) {
                // not readable: the caller looks elsewhere
            }
        }
        return null;
    }

    /**
     * Turns the running set into {@code target}: installs beside the running bundles, starts the
     * new ones, then stops and uninstalls what they replace, refreshes and starts the rest.
     *
     * @param done   told each step as it is done, in an operator's words
     * @return the bundles of the target set as installed now
     */
    List<Bundle> converge(FeatureDescriptor target, JarSource source, Consumer<String> done)
            throws BundleException, IOException, InterruptedException {
        List<SetDiff.Step> steps = SetDiff.diff(running(), target);
        List<Bundle> retire = new ArrayList<>();
        for (SetDiff.Step step : steps) {
            // the same symbolic name and version cannot be installed twice: such an update is in place
            if (step.from() != null && step.to() != null && step.from().version().equals(step.to().version())) {
                Bundle old = context.getBundle(step.from().id());
                old.stop();
                old.uninstall();
                done.accept("stopped and uninstalled " + name(old) + " to install it again (the same version cannot be installed beside itself)");
            } else if (step.from() != null) {
                retire.add(context.getBundle(step.from().id()));
            }
        }
        List<Bundle> added = new ArrayList<>();
        for (SetDiff.Step step : steps) {
            if (step.to() != null) {
                FeatureDescriptor.Entry e = step.to();
                Bundle b = context.installBundle(location(e), new ByteArrayInputStream(source.jar(e)));
                b.adapt(BundleStartLevel.class).setStartLevel(e.startLevel());
                added.add(b);
                done.accept("installed " + name(b) + (step.from() != null && context.getBundle(step.from().id()) != null
                        ? " beside " + step.from().version() : ""));
            }
        }
        added.sort(Comparator.comparingInt((Bundle b) -> b.adapt(BundleStartLevel.class).getStartLevel()));
        ServiceRegistration<ResolverHookFactory> hook = context.registerService(ResolverHookFactory.class,
                new PreferNewExports(new HashSet<>(added), new HashSet<>(retire)), null);
        try {
            for (Bundle b : added) {
                startQuietly(b);
                done.accept(b.getState() == Bundle.ACTIVE ? "started " + name(b) : name(b) + " is not active yet");
            }
            awaitSuccessors(retire, added);
            retire.sort(Comparator.comparingInt((Bundle b) -> b.adapt(BundleStartLevel.class).getStartLevel()).reversed());
            for (Bundle b : retire) {
                String retired = name(b);
                b.stop();
                b.uninstall();
                done.accept("stopped and uninstalled " + retired);
            }
            refresh();
            done.accept("refreshed the framework's wiring");
        } finally {
            hook.unregister();
        }
        List<Bundle> bundles = new ArrayList<>();
        Map<String, Bundle> bySymbolicName = new HashMap<>();
        for (Bundle b : context.getBundles()) {
            bySymbolicName.put(b.getSymbolicName(), b);
        }
        for (FeatureDescriptor.Entry e : target.bundles()) {
            Bundle b = bySymbolicName.get(e.symbolicName());
            if (b != null) {
                startQuietly(b);
                bundles.add(b);
            }
        }
        return bundles;
    }

    /**
     * Waits, at most {@value #SUCCESSOR_WAIT_MILLIS} ms, until every control loop of the bundles
     * about to be replaced has a stand-by of the same name from their new version. A new bundle's loops come up
     * only when ConfigAdmin has delivered their configurations, which it does on its own thread
     * after the bundle started; a loop that goes before its stand-by is there brakes its motor
     * instead of handing over.
     */
    private void awaitSuccessors(List<Bundle> retire, List<Bundle> added) throws InterruptedException {
        Set<String> updated = new HashSet<>();
        added.forEach(b -> updated.add(b.getSymbolicName()));
        Set<String> needed = loopNames(retire.stream().filter(b -> updated.contains(b.getSymbolicName())).toList()); // not those uninstalled for good
        long deadline = System.nanoTime() + SUCCESSOR_WAIT_MILLIS * 1_000_000L;
        while (!loopNames(added).containsAll(needed)) {
            if (System.nanoTime() > deadline) {
                Set<String> missing = new HashSet<>(needed);
                missing.removeAll(loopNames(added));
                log.warn("no stand-by came for loop(s) {} within {} ms: they stop without handing over", missing, SUCCESSOR_WAIT_MILLIS);
                return;
            }
            Thread.sleep(5);
        }
    }

    /** How long {@link #awaitSuccessors} waits at the most, in ms. */
    static final long SUCCESSOR_WAIT_MILLIS = 10_000;

    /** @return the names of the control loops these bundles register */
    private static Set<String> loopNames(List<Bundle> bundles) {
        Set<String> names = new HashSet<>();
        for (Bundle b : bundles) {
            ServiceReference<?>[] registered = b.getState() == Bundle.UNINSTALLED ? null : b.getRegisteredServices();
            for (ServiceReference<?> r : registered == null ? new ServiceReference<?>[0] : registered) {
                if (r.getProperty(Constants.OBJECTCLASS) instanceof String[] classes && List.of(classes).contains(ControlLoop.class.getName())
                        && r.getProperty(ControlLoop.PROPERTY_NAME) instanceof String name) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** @return the bundle as an operator names it: symbolic name and version */
    static String name(Bundle b) {
        return b.getSymbolicName() + " " + b.getVersion();
    }

    /** Starts a bundle; one that cannot start is left for the health gate to name. */
    private void startQuietly(Bundle b) {
        if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null || b.getState() == Bundle.ACTIVE) {
            return;
        }
        try {
            b.start(Bundle.START_ACTIVATION_POLICY);
        } catch (BundleException e) {
            log.warn("bundle {} {} does not start: {}", b.getSymbolicName(), b.getVersion(), e.getMessage());
        }
    }

    private void refresh() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class).refreshBundles(null, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED || e.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        });
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the framework did not finish refreshing within 60 s");
        }
    }

    private static String location(FeatureDescriptor.Entry e) {
        return LOCATION_SCHEME + e.symbolicName() + "/" + e.version() + "/" + e.sha256();
    }
}
