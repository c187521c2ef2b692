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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.Version;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.deploy.ApplyResult;
import io.armature.deploy.ApplyResult.Outcome;
import io.armature.deploy.BundleChange;
import io.armature.deploy.FeatureDeployer;
import io.armature.safety.SafetySupervisor;

/**
 * Applies features from a feature repository directory to the running framework.
 *
 * <p>A change goes: read the descriptor; read every jar it names and check its SHA-256 and its
 * manifest (a mismatch refuses the change before anything is touched); keep a copy of every jar
 * the change removes and write the journal (the previous set) to the data area; install the new
 * bundles beside the old ones and start them; stop and uninstall the old ones (actuator bundles
 * drive their outputs safe on deactivate); refresh; wait for the {@link HealthGate}. When the gate
 * fails the same steps bring the previous set back from the kept copies. A journal found at start
 * means a change was cut short: the previous set is restored then.
 *
 * <p>The deployer never replaces itself, nor a bundle it is wired to (the API, SCR): a feature
 * that changes those is refused, since a refresh would stop the deployer in the middle of its
 * change.
 */
@Component(service = FeatureDeployer.class, immediate = true, configurationPid = Deployer.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = Deployer.Config.class)
public final class Deployer implements FeatureDeployer {

    static final String PID = "armature.deploy";
    /** Where bundles installed by the deployer say they came from: {@code armature-deploy:<bsn>/<version>/<sha256>}. */
    static final String LOCATION_SCHEME = "armature-deploy:";
    /** Framework property naming the feature the runtime was started with. */
    static final String ROBOT_PROPERTY = "armature.robot";

    @ObjectClassDefinition(name = "Armature feature deployment",
            description = "Where features come from and how a change is judged before it is kept.")
    public @interface Config {
        @AttributeDefinition(name = "Feature repository",
                description = "Directory holding <feature>.feature descriptors and the jars they pin by SHA-256 "
                        + "(built into features/target/repository). A relative path is taken from the working directory.")
        String repository() default "features/target/repository";

        @AttributeDefinition(name = "Health gate time-out",
                description = "Seconds, 1..600, a changed set has to get every component active, the safety supervisor "
                        + "healthy and every loop at its rate; when they run out the previous set is restored.")
        int gateTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Least loop rate",
                description = "Fraction of its configured rate, 0.5..1.0, each control loop must reach over a 0.5 s window.")
        double minLoopRate() default 0.9;
    }

    /** A checked configuration. */
    record Settings(Path repository, long gateTimeoutMillis, double minLoopRate) {
        static Settings of(Config c) {
            if (c.repository() == null || c.repository().isBlank()) {
                throw new IllegalArgumentException("repository must name a directory");
            }
            if (c.gateTimeoutSeconds() < 1 || c.gateTimeoutSeconds() > 600) {
                throw new IllegalArgumentException("gateTimeoutSeconds must be 1..600, was " + c.gateTimeoutSeconds());
            }
            if (!(c.minLoopRate() >= 0.5 && c.minLoopRate() <= 1.0)) {
                throw new IllegalArgumentException("minLoopRate must be 0.5..1.0, was " + c.minLoopRate());
            }
            return new Settings(Path.of(c.repository().strip()).toAbsolutePath().normalize(), c.gateTimeoutSeconds() * 1000L,
                    c.minLoopRate());
        }
    }

    /** Thrown when a change is refused before anything changed. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    @FunctionalInterface
    private interface JarSource {
        byte[] jar(FeatureDescriptor.Entry e) throws IOException;
    }

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final Logger log;
    private final Journal journal;
    private final ReentrantLock changing = new ReentrantLock();
    private final Map<String, String> fileShas = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Settings settings;
    private volatile Thread worker;
    private volatile boolean stopping;

    @Activate
    public Deployer(Config config, BundleContext context, @Reference ServiceComponentRuntime scr,
            @Reference(service = LoggerFactory.class) Logger log) throws IOException {
        this.settings = Settings.of(config);
        this.context = context;
        this.scr = scr;
        this.log = log;
        this.journal = new Journal(context.getDataFile("deploy").toPath());
        Optional<Journal.Pending> pending = journal.pending();
        if (pending.isPresent()) {
            Thread recovery = new Thread(() -> recover(pending.get()), "armature-deploy-recovery");
            recovery.setDaemon(true);
            recovery.setUncaughtExceptionHandler((t, e) -> log.error("restoring the previous bundle set failed: {}", e.toString()));
            recovery.start();
        }
    }

    @Modified
    void modified(Config config) {
        try {
            settings = Settings.of(config);
        } catch (IllegalArgumentException e) {
            log.error("feature deployment configuration refused: {}; the previous configuration stays", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        // Stopping in the middle of a change (the framework shuts down) leaves the journal: the
        // next start restores the previous set.
        stopping = true;
        Thread w = worker;
        if (w != null) {
            w.interrupt();
            w.join(10_000);
        }
    }

    @Override
    public List<String> available() {
        Path repo = settings.repository();
        if (!Files.isDirectory(repo)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(repo)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(FeatureDescriptor.SUFFIX))
                    .map(n -> n.substring(0, n.length() - FeatureDescriptor.SUFFIX.length())).filter(FeatureDescriptor::validName)
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public Optional<String> installed() {
        try {
            Optional<FeatureDescriptor> applied = journal.installed();
            if (applied.isPresent()) {
                return Optional.of(applied.get().name());
            }
        } catch (IOException | IllegalArgumentException e) {
            log.warn("the record of the installed feature cannot be read: {}", e.getMessage());
        }
        String robot = context.getProperty(ROBOT_PROPERTY);
        return robot == null || robot.isBlank() ? Optional.empty() : Optional.of(robot.strip());
    }

    @Override
    public List<BundleChange> diff(String feature) {
        FeatureDescriptor target = load(settings.repository(), feature);
        return SetDiff.diff(running(), managed(target)).stream().map(SetDiff.Step::change).toList();
    }

    @Override
    public ApplyResult apply(String feature) {
        long t0 = System.nanoTime();
        if (!changing.tryLock()) {
            return result(feature, Outcome.REFUSED, "another feature change is running; nothing changed", List.of(), t0);
        }
        worker = Thread.currentThread();
        try {
            return change(feature, t0);
        } finally {
            worker = null;
            changing.unlock();
        }
    }

    private ApplyResult change(String feature, long t0) {
        Settings s = settings;
        FeatureDescriptor target;
        Map<String, byte[]> jars;
        List<SetDiff.Step> steps;
        FeatureDescriptor previous;
        try {
            if (stopping) {
                throw new Refused("the deployer is stopping");
            }
            try {
                target = managed(load(s.repository(), feature));
            } catch (IllegalArgumentException e) {
                throw new Refused(e.getMessage());
            }
            jars = verify(s.repository(), target);
            refuseWhileTripped();
            List<SetDiff.Running> running = running();
            steps = SetDiff.diff(running, target);
            refuseChangesToOwnWiring(feature, steps);
            previous = previousSet(running, steps, s.repository());
            if (steps.isEmpty()) {
                journal.finish(stored(target));
                return result(feature, Outcome.UNCHANGED, "feature " + feature + " is already running; nothing changed", List.of(), t0);
            }
            for (SetDiff.Step step : steps) {
                if (step.to() != null) {
                    journal.put(jars.get(step.to().symbolicName()));
                }
            }
            journal.begin(feature, previous);
        } catch (Refused e) {
            log.warn("feature {} refused: {}", feature, e.getMessage());
            return result(feature, Outcome.REFUSED, e.getMessage(), List.of(), t0);
        } catch (IOException e) {
            log.warn("feature {} refused: the deployer's data area cannot be written: {}", feature, e.toString());
            return result(feature, Outcome.REFUSED, "the deployer's data area cannot be written (" + e.getMessage() + "); nothing changed",
                    List.of(), t0);
        }

        List<BundleChange> changes = steps.stream().map(SetDiff.Step::change).toList();
        log.info("feature {}: {}", feature, changes.stream().map(BundleChange::toString).toList());
        Optional<String> failure;
        try {
            List<Bundle> bundles = converge(target, e -> jars.get(e.symbolicName()));
            failure = new HealthGate(context, scr, s.minLoopRate()).await(bundles, s.gateTimeoutMillis());
        } catch (InterruptedException | IllegalStateException e) {
            if (stopping) {
                Thread.currentThread().interrupt();
                return result(feature, Outcome.REFUSED, "the runtime stopped in the middle of the change to " + feature
                        + "; the previous set is restored when it starts again", changes, t0);
            }
            failure = Optional.of("the change failed: " + e);
        } catch (BundleException | IOException | RuntimeException e) {
            failure = Optional.of("the change failed: " + e.getMessage());
        }
        try {
            if (failure.isEmpty()) {
                FeatureDescriptor now = stored(target);
                journal.finish(now);
                journal.retain(shas(now));
                String message = "feature " + feature + " applied and healthy: " + summary(changes);
                log.info("{}", message);
                return result(feature, Outcome.APPLIED, message, changes, t0);
            }
            String message = "feature " + feature + " failed the health gate (" + failure.get() + "); rolled back to " + previous.name();
            log.warn("{}", message);
            Optional<String> after = restore(previous);
            if (after.isPresent()) {
                message += ", which is not healthy either: " + after.get();
                log.error("the restored bundle set {} is not healthy: {}", previous.name(), after.get());
            }
            return result(feature, Outcome.ROLLED_BACK, message, changes, t0);
        } catch (IOException e) {
            log.error("feature {}: the journal cannot be written: {}", feature, e.toString());
            return result(feature, failure.isEmpty() ? Outcome.APPLIED : Outcome.ROLLED_BACK,
                    "feature " + feature + ": the deployer's data area cannot be written: " + e.getMessage(), changes, t0);
        }
    }

    /** Brings the previous set back from the kept copies; returns what is unhealthy afterwards. */
    private Optional<String> restore(FeatureDescriptor previous) throws IOException {
        Optional<String> after;
        try {
            List<Bundle> bundles = converge(previous, e -> journal.get(e.sha256()));
            after = new HealthGate(context, scr, settings.minLoopRate()).await(bundles, settings.gateTimeoutMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while restoring; it is restored again at the next start");
        } catch (BundleException | RuntimeException e) {
            after = Optional.of("restoring failed: " + e.getMessage());
        }
        journal.finish(previous);
        journal.retain(shas(previous));
        return after;
    }

    private void recover(Journal.Pending pending) {
        changing.lock();
        worker = Thread.currentThread();
        try {
            log.warn("the change to feature {} was cut short by a restart; restoring the previous set {}", pending.target(),
                    pending.previous().name());
            Optional<String> after = restore(pending.previous());
            if (after.isPresent()) {
                log.error("the restored bundle set {} is not healthy: {}", pending.previous().name(), after.get());
            } else {
                log.warn("the previous bundle set {} is restored and healthy", pending.previous().name());
            }
        } catch (IOException e) {
            log.error("restoring the previous bundle set failed: {}", e.toString());
        } finally {
            worker = null;
            changing.unlock();
        }
    }

    /**
     * Turns the running set into {@code target}: installs beside the running bundles, starts the
     * new ones, then stops and uninstalls what they replace, refreshes and starts the rest.
     *
     * @return the bundles of the target set as installed now
     */
    private List<Bundle> converge(FeatureDescriptor target, JarSource source) throws BundleException, IOException, InterruptedException {
        List<SetDiff.Step> steps = SetDiff.diff(running(), target);
        List<Bundle> retire = new ArrayList<>();
        for (SetDiff.Step step : steps) {
            // the same symbolic name and version cannot be installed twice: such an update is in place
            if (step.from() != null && step.to() != null && step.from().version().equals(step.to().version())) {
                Bundle old = context.getBundle(step.from().id());
                old.stop();
                old.uninstall();
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
            }
        }
        added.sort(Comparator.comparingInt((Bundle b) -> b.adapt(BundleStartLevel.class).getStartLevel()));
        ServiceRegistration<ResolverHookFactory> hook = context.registerService(ResolverHookFactory.class,
                new PreferNewExports(new HashSet<>(added), new HashSet<>(retire)), null);
        try {
            for (Bundle b : added) {
                startQuietly(b);
            }
            retire.sort(Comparator.comparingInt((Bundle b) -> b.adapt(BundleStartLevel.class).getStartLevel()).reversed());
            for (Bundle b : retire) {
                b.stop();
                b.uninstall();
            }
            refresh();
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

    /** Reads every jar the feature names, checks its checksum and manifest, and returns them by symbolic name. */
    private static Map<String, byte[]> verify(Path repository, FeatureDescriptor target) throws Refused {
        Map<String, byte[]> jars = new HashMap<>();
        for (FeatureDescriptor.Entry e : target.bundles()) {
            Path file = repository.resolve(e.location()).normalize();
            byte[] jar;
            try {
                jar = Files.readAllBytes(file);
            } catch (IOException ex) {
                throw new Refused("bundle " + e.symbolicName() + " of feature " + target.name() + " cannot be read from " + e.location()
                        + " (" + ex.getClass().getSimpleName() + "); nothing changed");
            }
            String sha = Sha256.of(jar);
            if (!sha.equals(e.sha256())) {
                throw new Refused("bundle " + e.symbolicName() + " " + e.version() + " refused: its jar " + e.location() + " has SHA-256 "
                        + sha + " but feature " + target.name() + " pins " + e.sha256() + "; nothing changed");
            }
            String[] identity = BundleJar.identity(jar);
            if (!e.symbolicName().equals(identity[0]) || !Version.parseVersion(e.version()).equals(Version.parseVersion(identity[1]))) {
                throw new Refused("bundle " + e.symbolicName() + " " + e.version() + " refused: its jar " + e.location() + " is "
                        + identity[0] + " " + identity[1] + "; nothing changed");
            }
            jars.put(e.symbolicName(), jar);
        }
        return jars;
    }

    private void refuseWhileTripped() throws Refused {
        var refs = context.getServiceReference(SafetySupervisor.class);
        if (refs == null) {
            return;
        }
        SafetySupervisor s = context.getService(refs);
        try {
            if (s != null && !s.mayMove()) {
                throw new Refused("the safety supervisor is tripped (" + s.tripReason().map(t -> t.message()).orElse("no reason")
                        + "); reset it first, so that the health gate can judge the change; nothing changed");
            }
        } finally {
            context.ungetService(refs);
        }
    }

    /** A refresh of a bundle the deployer is wired to would stop it in the middle of the change. */
    private void refuseChangesToOwnWiring(String feature, List<SetDiff.Step> steps) throws Refused {
        Set<Long> providers = new HashSet<>();
        BundleWiring wiring = context.getBundle().adapt(BundleWiring.class);
        for (BundleWire w : wiring.getRequiredWires(null)) {
            providers.add(w.getProvider().getBundle().getBundleId());
        }
        for (SetDiff.Step step : steps) {
            if (step.from() != null && providers.contains(step.from().id())) {
                throw new Refused("feature " + feature + " would " + step.change() + ", which the deployer itself runs on; "
                        + "start the robot from the new feature's jar instead; nothing changed");
            }
        }
    }

    /**
     * The running set as it will be restored: each bundle with its checksum and start level. A
     * jar the change removes is copied to the store first; one that cannot be found refuses the change.
     */
    private FeatureDescriptor previousSet(List<SetDiff.Running> running, List<SetDiff.Step> steps, Path repository)
            throws Refused, IOException {
        Set<Long> removed = new HashSet<>();
        steps.stream().filter(s -> s.from() != null).forEach(s -> removed.add(s.from().id()));
        List<FeatureDescriptor.Entry> entries = new ArrayList<>();
        for (SetDiff.Running r : running) {
            Bundle b = context.getBundle(r.id());
            String sha = r.sha256();
            if (removed.contains(r.id()) && (sha == null || !journal.has(sha))) {
                byte[] jar = readJar(b, r, repository);
                if (jar == null) {
                    throw new Refused("bundle " + r.symbolicName() + " " + r.version() + " would be replaced but no copy of it can be kept "
                            + "for a rollback (its location " + b.getLocation() + " cannot be read and no feature in the repository "
                            + "pins it); nothing changed");
                }
                sha = journal.put(jar);
            }
            entries.add(new FeatureDescriptor.Entry(r.symbolicName(), r.version(), b.adapt(BundleStartLevel.class).getStartLevel(),
                    sha == null ? FeatureDescriptor.UNKNOWN_SHA256 : sha, sha == null ? "-" : Journal.STORE + "/" + sha + ".jar"));
        }
        return new FeatureDescriptor(installed().orElse("previous"), entries);
    }

    /** The jar of a running bundle: from its location when that is a file, else from a feature that pins this version. */
    private byte[] readJar(Bundle b, SetDiff.Running r, Path repository) {
        Path file = locationFile(b.getLocation());
        if (file != null) {
            try {
                byte[] jar = Files.readAllBytes(file);
                String[] id = BundleJar.identity(jar);
                if (id[0].equals(r.symbolicName()) && Version.parseVersion(id[1]).equals(b.getVersion())) {
                    return jar;
                }
            } catch (IOException | IllegalArgumentException e) {
                // fall back to the repository
            }
        }
        for (String name : available()) {
            try {
                FeatureDescriptor d = FeatureDescriptor.read(repository.resolve(name + FeatureDescriptor.SUFFIX));
                FeatureDescriptor.Entry e = d.entry(r.symbolicName());
                if (e != null && Version.parseVersion(e.version()).equals(b.getVersion())) {
                    byte[] jar = Files.readAllBytes(repository.resolve(e.location()).normalize());
                    if (Sha256.of(jar).equals(e.sha256())) {
                        return jar;
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                // not this one
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

    /** Every installed bundle but the system bundle and the deployer itself. */
    private List<SetDiff.Running> running() {
        List<SetDiff.Running> running = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0 || b.getBundleId() == context.getBundle().getBundleId()) {
                continue;
            }
            running.add(new SetDiff.Running(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), knownSha(b)));
        }
        return running;
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

    private static String location(FeatureDescriptor.Entry e) {
        return LOCATION_SCHEME + e.symbolicName() + "/" + e.version() + "/" + e.sha256();
    }

    /** The feature without the deployer's own bundle, which it never replaces. */
    private FeatureDescriptor managed(FeatureDescriptor d) {
        String self = context.getBundle().getSymbolicName();
        return new FeatureDescriptor(d.name(), d.bundles().stream().filter(e -> !e.symbolicName().equals(self)).toList());
    }

    /** The set as it will be recorded: each jar at its kept copy. */
    private static FeatureDescriptor stored(FeatureDescriptor d) {
        return new FeatureDescriptor(d.name(), d.bundles().stream()
                .map(e -> new FeatureDescriptor.Entry(e.symbolicName(), e.version(), e.startLevel(), e.sha256(), Journal.STORE + "/" + e.sha256() + ".jar"))
                .toList());
    }

    private static Set<String> shas(FeatureDescriptor d) {
        Set<String> shas = new HashSet<>();
        d.bundles().forEach(e -> shas.add(e.sha256()));
        return shas;
    }

    /** @throws IllegalArgumentException in one sentence, for an unknown name or a bad descriptor */
    private FeatureDescriptor load(Path repository, String feature) {
        if (!FeatureDescriptor.validName(feature)) {
            throw new IllegalArgumentException("'" + feature + "' is not a feature name; available: " + availableList());
        }
        Path file = repository.resolve(feature + FeatureDescriptor.SUFFIX);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no feature '" + feature + "' in " + repository + "; available: " + availableList());
        }
        FeatureDescriptor d;
        try {
            d = FeatureDescriptor.read(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("feature " + feature + " cannot be read: " + e.getMessage());
        }
        if (!d.name().equals(feature)) {
            throw new IllegalArgumentException(file.getFileName() + " describes feature '" + d.name() + "', not '" + feature + "'");
        }
        return d;
    }

    private String availableList() {
        List<String> names = available();
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static String summary(List<BundleChange> changes) {
        long installs = changes.stream().filter(c -> c.kind() == BundleChange.Kind.INSTALL).count();
        long updates = changes.stream().filter(c -> c.kind() == BundleChange.Kind.UPDATE).count();
        long uninstalls = changes.stream().filter(c -> c.kind() == BundleChange.Kind.UNINSTALL).count();
        return installs + " installed, " + updates + " updated, " + uninstalls + " uninstalled";
    }

    private static ApplyResult result(String feature, Outcome outcome, String message, List<BundleChange> changes, long t0) {
        return new ApplyResult(feature, outcome, message, changes, (System.nanoTime() - t0) / 1_000_000);
    }
}
