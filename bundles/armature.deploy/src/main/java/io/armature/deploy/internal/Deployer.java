package io.armature.deploy.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.startlevel.BundleStartLevel;
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
import io.armature.deploy.ChangeProgress;
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
 * <p>What the repository holds is {@link FeatureRepository}'s to read, the framework's set
 * {@link BundleSet}'s to change, the previous set and the kept jars {@link Journal}'s to keep;
 * this class decides and orders the steps.
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

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final Logger log;
    private final Journal journal;
    private final BundleSet bundles;
    private final ReentrantLock changing = new ReentrantLock();
    private final ChangeLog progress = new ChangeLog();
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
        this.bundles = new BundleSet(context, log);
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
        return repository().available();
    }

    private FeatureRepository repository() {
        return new FeatureRepository(settings.repository());
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
        FeatureDescriptor target = repository().load(feature);
        return SetDiff.diff(bundles.running(), managed(target)).stream().map(SetDiff.Step::change).toList();
    }

    @Override
    public ApplyResult apply(String feature) {
        return exclusively(feature, t0 -> change("feature " + feature, feature, t0, running -> {
            FeatureRepository repository = repository();
            FeatureDescriptor target;
            try {
                target = managed(repository.load(feature));
            } catch (IllegalArgumentException e) {
                throw new Refused(e.getMessage());
            }
            return new Target(target, repository.verify(target));
        }));
    }

    @Override
    public ApplyResult swap(String symbolicName, byte[] jar) {
        String installed = installed().orElse("running");
        return exclusively(installed, t0 -> {
            String[] identity = BundleJar.identity(jar);
            return change("bundle " + symbolicName + " " + identity[1], installed, t0, running -> {
                if (symbolicName.equals(context.getBundle().getSymbolicName())) {
                    throw new Refused("the deployer never replaces its own bundle; start the robot from a new feature's jar instead; nothing changed");
                }
                FeatureDescriptor target = BundleSwap.target(installed, running, symbolicName, jar,
                        id -> context.getBundle(id).adapt(BundleStartLevel.class).getStartLevel());
                return new Target(target, Map.of(symbolicName, jar));
            });
        });
    }

    /** A change, given when the change lock is held. */
    private interface Change {
        ApplyResult run(long t0);
    }

    /** Runs one change at a time: a second one is refused, not queued. */
    private ApplyResult exclusively(String name, Change change) {
        long t0 = System.nanoTime();
        if (!changing.tryLock()) {
            return result(name, Outcome.REFUSED, "another feature change is running; nothing changed", List.of(), t0);
        }
        worker = Thread.currentThread();
        ApplyResult r = null;
        try {
            r = change.run(t0);
            return r;
        } finally {
            progress.end(r);
            worker = null;
            changing.unlock();
        }
    }

    @Override
    public Optional<ChangeProgress> progress() {
        return progress.snapshot();
    }

    /** The set a change turns the running set into, and the jars of the bundles it installs, by symbolic name. */
    record Target(FeatureDescriptor set, Map<String, byte[]> jars) {
    }

    /** Works out a change's target from the running set, or refuses it before anything is touched. */
    private interface Plan {
        Target target(List<SetDiff.Running> running) throws Refused, IOException;
    }

    /**
     * Carries a change out: refusals first, then the journal, the new set, the health gate, and
     * the previous set back when the gate fails.
     *
     * @param what    the change in an operator's words, for example {@code feature sim-rover-next}
     * @param feature the name the result and the journal give the set
     */
    private ApplyResult change(String what, String feature, long t0, Plan plan) {
        progress.begin(what, t0);
        FeatureRepository repository = repository();
        Settings s = settings;
        FeatureDescriptor target;
        Map<String, byte[]> jars;
        List<SetDiff.Step> steps;
        FeatureDescriptor previous;
        try {
            if (stopping) {
                throw new Refused("the deployer is stopping");
            }
            Target planned = plan.target(bundles.running());
            target = planned.set();
            jars = planned.jars();
            progress.step("verified " + jars.size() + (jars.size() == 1 ? " jar" : " jars") + ": manifest and SHA-256");
            refuseWhileTripped();
            List<SetDiff.Running> running = bundles.running();
            steps = SetDiff.diff(running, target);
            refuseChangesToOwnWiring(what, steps);
            previous = previousSet(running, steps, repository);
            if (steps.isEmpty()) {
                journal.finish(stored(target));
                return result(feature, Outcome.UNCHANGED, what + " is already running; nothing changed", List.of(), t0);
            }
            for (SetDiff.Step step : steps) {
                if (step.to() != null) {
                    journal.put(jars.get(step.to().symbolicName()));
                }
            }
            journal.begin(feature, previous);
            progress.step("kept the running set (" + previous.bundles().size() + " bundles) for a rollback");
        } catch (Refused e) {
            log.warn("{} refused: {}", what, e.getMessage());
            return result(feature, Outcome.REFUSED, e.getMessage(), List.of(), t0);
        } catch (IOException e) {
            log.warn("{} refused: the deployer's data area cannot be written: {}", what, e.toString());
            return result(feature, Outcome.REFUSED, "the deployer's data area cannot be written (" + e.getMessage() + "); nothing changed",
                    List.of(), t0);
        }

        List<BundleChange> changes = steps.stream().map(SetDiff.Step::change).toList();
        log.info("{}: {}", what, changes.stream().map(BundleChange::toString).toList());
        Optional<String> failure;
        try {
            List<Bundle> set = bundles.converge(target, e -> jars.get(e.symbolicName()), progress::step);
            failure = new HealthGate(context, scr, s.minLoopRate()).await(set, s.gateTimeoutMillis(), progress::step);
        } catch (InterruptedException | IllegalStateException e) {
            if (stopping) {
                Thread.currentThread().interrupt();
                return result(feature, Outcome.REFUSED, "the runtime stopped in the middle of the change to " + what
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
                String message = what + " applied and healthy: " + summary(changes);
                log.info("{}", message);
                return result(feature, Outcome.APPLIED, message, changes, t0);
            }
            String message = what + " failed the health gate (" + failure.get() + "); rolled back to " + previous.name();
            log.warn("{}", message);
            progress.step("failed the health gate: " + failure.get() + "; restoring " + previous.name());
            Optional<String> after = restore(previous);
            if (after.isPresent()) {
                message += ", which is not healthy either: " + after.get();
                log.error("the restored bundle set {} is not healthy: {}", previous.name(), after.get());
            }
            return result(feature, Outcome.ROLLED_BACK, message, changes, t0);
        } catch (IOException e) {
            log.error("{}: the journal cannot be written: {}", what, e.toString());
            return result(feature, failure.isEmpty() ? Outcome.APPLIED : Outcome.ROLLED_BACK,
                    what + ": the deployer's data area cannot be written: " + e.getMessage(), changes, t0);
        }
    }

    /** Brings the previous set back from the kept copies; returns what is unhealthy afterwards. */
    private Optional<String> restore(FeatureDescriptor previous) throws IOException {
        Optional<String> after;
        try {
            List<Bundle> set = bundles.converge(previous, e -> journal.get(e.sha256()), progress::step);
            after = new HealthGate(context, scr, settings.minLoopRate()).await(set, settings.gateTimeoutMillis(), progress::step);
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
        long t0 = System.nanoTime();
        String name = pending.previous().name();
        ApplyResult r = null;
        try {
            log.warn("the change to feature {} was cut short by a restart; restoring the previous set {}", pending.target(), name);
            progress.begin("restore of " + name + " (a restart cut the change to feature " + pending.target() + " short)", t0);
            Optional<String> after = restore(pending.previous());
            if (after.isPresent()) {
                log.error("the restored bundle set {} is not healthy: {}", name, after.get());
            } else {
                log.warn("the previous bundle set {} is restored and healthy", name);
            }
            r = result(pending.target(), Outcome.ROLLED_BACK, "the change to feature " + pending.target() + " was cut short by a restart; "
                    + name + " is restored" + after.map(a -> ", but it is not healthy: " + a).orElse(" and healthy"), List.of(), t0);
        } catch (IOException e) {
            log.error("restoring the previous bundle set failed: {}", e.toString());
        } finally {
            progress.end(r);
            worker = null;
            changing.unlock();
        }
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
    private void refuseChangesToOwnWiring(String what, List<SetDiff.Step> steps) throws Refused {
        Set<Long> providers = bundles.ownProviders();
        for (SetDiff.Step step : steps) {
            if (step.from() != null && providers.contains(step.from().id())) {
                throw new Refused(what + " would " + step.change() + ", which the deployer itself runs on; "
                        + "start the robot from the new feature's jar instead; nothing changed");
            }
        }
    }

    /**
     * The running set as it will be restored: each bundle with its checksum and start level. A
     * jar the change removes is copied to the store first; one that cannot be found refuses the change.
     */
    private FeatureDescriptor previousSet(List<SetDiff.Running> running, List<SetDiff.Step> steps, FeatureRepository repository)
            throws Refused, IOException {
        Set<Long> removed = new HashSet<>();
        steps.stream().filter(s -> s.from() != null).forEach(s -> removed.add(s.from().id()));
        List<FeatureDescriptor.Entry> entries = new ArrayList<>();
        for (SetDiff.Running r : running) {
            Bundle b = context.getBundle(r.id());
            String sha = r.sha256();
            if (removed.contains(r.id()) && (sha == null || !journal.has(sha))) {
                byte[] jar = bundles.installedJar(b);
                if (jar == null) {
                    jar = repository.pinnedJar(r.symbolicName(), b.getVersion());
                }
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
