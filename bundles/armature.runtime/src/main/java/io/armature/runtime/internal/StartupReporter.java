package io.armature.runtime.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import io.armature.hal.Board;
import io.armature.kit.board.DeviceTree;

/**
 * Watches the framework come up and prints one line when every bundle is active, every
 * configuration file of the robot (FileInstall's directory) is loaded, and no component is
 * unsatisfied or failed:
 * {@code Armature sim-rover ready: 27 bundles, 31 components in 912 ms since JVM start}.
 * If that does not happen within the time-out it prints what is still missing instead. The
 * robot name comes from the framework property {@code armature.robot}.
 *
 * <p>It also reads the machine's device tree at start (framework property
 * {@code armature.devicetree.root}, default {@code /proc/device-tree}) and, once the runtime is up,
 * prints one line naming the machine, and logs one ERROR line if board backends for host machines
 * are installed and none of them drives this one.
 */
@Component(immediate = true)
public final class StartupReporter {

    /** Framework property: the robot (feature) name printed in the ready line. */
    public static final String ROBOT_PROPERTY = "armature.robot";
    /** Framework property: seconds to wait for readiness before reporting what is missing; default 60. */
    public static final String TIMEOUT_PROPERTY = "armature.startup.timeout";
    /** Framework property: where the device tree is shown; default {@code /proc/device-tree}. */
    public static final String DEVICE_TREE_PROPERTY = "armature.devicetree.root";
    /**
     * Framework property: {@code true} stops the framework once the ready (or not-ready) line is
     * printed, so the JVM exits: a start-up run that trains a class-data archive
     * ({@code -XX:ArchiveClassesAtExit}, see scripts/run.sh), and nothing else.
     */
    public static final String EXIT_WHEN_READY_PROPERTY = "armature.exitWhenReady";
    static final String READY = " ready: ";

    private final ServiceComponentRuntime scr;
    private final BundleContext context;
    private final Logger log;
    private final Thread watcher;
    /** Configuration Admin, through which FileInstall delivers the robot's configuration files. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;
    private Optional<DeviceTree> machine = Optional.empty();
    private String machineLine;

    @Activate
    public StartupReporter(@Reference ServiceComponentRuntime scr, @Reference(service = LoggerFactory.class) Logger log,
            BundleContext context) {
        this(scr, log, context, true);
    }

    /** @param watch false for a test that asks {@link #missing()} itself */
    StartupReporter(ServiceComponentRuntime scr, Logger log, BundleContext context, boolean watch) {
        this.scr = scr;
        this.log = log;
        this.context = context;
        this.watcher = watch ? new Thread(this::watch, "armature-startup") : null;
        if (watcher != null) {
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    @Deactivate
    void deactivate() {
        if (watcher != null) {
            watcher.interrupt();
        }
    }

    private void watch() {
        String robot = property(ROBOT_PROPERTY, "armature");
        long timeoutMillis = Long.parseLong(property(TIMEOUT_PROPERTY, "60")) * 1000;
        long start = System.nanoTime();
        int stable = 0;
        String root = property(DEVICE_TREE_PROPERTY, DeviceTree.DEFAULT_ROOT.toString());
        try {
            machine = DeviceTree.read(Path.of(root));
            machineLine = BoardDetection.machine(machine, root);
        } catch (java.io.IOException | RuntimeException e) {
            machineLine = "machine: the device tree at " + root + " cannot be read: " + e;
        }
        try {
            while (true) {
                List<String> missing;
                try {
                    missing = missing(false);
                } catch (RuntimeException e) {
                    // SCR 2.2.18 can throw from getComponentConfigurationDTOs while a component is
                    // being configured (a NullPointerException in managerToConfiguration): a moment
                    // of change, so not ready yet; look again rather than never report
                    missing = List.of("the component runtime could not be asked: " + e);
                }
                stable = missing.isEmpty() ? stable + 1 : 0;
                if (stable == 2) { // two quiet polls in a row: nothing is still starting
                    long sinceJvm = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
                    System.out.println("Armature " + robot + READY + activeBundles() + " bundles, " + components()
                            + " components in " + sinceJvm + " ms since JVM start");
                    checkBoards();
                    exitIfAsked();
                    return;
                }
                if ((System.nanoTime() - start) / 1_000_000 > timeoutMillis) {
                    List<String> why = missing;
                    try {
                        why = missing(true); // everything that is missing, not only the first kind
                    } catch (RuntimeException e) {
                        // the component runtime still changing: what was found is said
                    }
                    System.out.println("Armature " + robot + " not ready after " + timeoutMillis / 1000 + " s: " + String.join("; ", why));
                    checkBoards();
                    exitIfAsked();
                    return;
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException | IllegalStateException stopped) {
            // the bundle or the framework stopped first
        }
    }

    /** With {@value #EXIT_WHEN_READY_PROPERTY}, stops the framework (every bundle, as at any shutdown): the launcher then ends the JVM. */
    private void exitIfAsked() {
        if (Boolean.parseBoolean(property(EXIT_WHEN_READY_PROPERTY, "false"))) {
            System.out.println("Armature: stopping, as " + EXIT_WHEN_READY_PROPERTY + " asks");
            try {
                context.getBundle(0).stop();
            } catch (org.osgi.framework.BundleException e) {
                System.out.println("Armature: the framework could not be stopped: " + e);
            }
        }
    }

    /** Logs one ERROR line when host board backends are installed and none drives this machine. */
    void checkBoards() {
        // printed as the ready line is: the log service passes nothing below WARN by default
        System.out.println("Armature " + machineLine);
        List<BoardDetection.Backend> installed = new ArrayList<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            List<String> compatible = strings(d.properties.get(Board.PROPERTY_COMPATIBLE));
            if (!compatible.isEmpty()) {
                installed.add(new BoardDetection.Backend(d.name, compatible));
            }
        }
        boolean simulated = false;
        try {
            for (ServiceReference<Board> r : context.getServiceReferences(Board.class, null)) {
                List<String> compatible = strings(r.getProperty(Board.PROPERTY_COMPATIBLE));
                if (!compatible.isEmpty()) {
                    installed.add(new BoardDetection.Backend("board " + r.getProperty(Board.PROPERTY_BOARD), compatible));
                    continue;
                }
                Board b = context.getService(r);
                simulated |= b != null && "sim".equals(b.info().backend());
                context.ungetService(r);
            }
        } catch (InvalidSyntaxException impossible) {
            throw new IllegalStateException(impossible);
        }
        BoardDetection.mismatch(machine, installed, simulated).ifPresent(log::error);
    }

    private static List<String> strings(Object value) {
        if (value instanceof String[] a) {
            return List.of(a);
        }
        return value instanceof String s ? List.of(s) : List.of();
    }

    private String property(String key, String fallback) {
        String v = context.getProperty(key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    /** @return what keeps the runtime from being ready, one entry per bundle, configuration file or component */
    List<String> missing() {
        return missing(true);
    }

    /**
     * @param all false to stop at the first kind of thing missing, cheapest first: bundles not
     *            active, then configuration files not loaded, then components. The watcher polls
     *            this every 10 ms while the framework starts; asking the component runtime for its
     *            DTOs while bundles still start took about a quarter of the CPU the start-up used.
     */
    private List<String> missing(boolean all) {
        List<String> missing = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            // a lazily activated bundle (JNA) waits in STARTING for its first class load: that is its healthy state
            boolean lazy = b.getState() == Bundle.STARTING
                    && Constants.ACTIVATION_LAZY.equals(b.getHeaders().get(Constants.BUNDLE_ACTIVATIONPOLICY));
            if (!fragment && !lazy && b.getState() != Bundle.ACTIVE) {
                missing.add("bundle " + b.getSymbolicName() + " is " + stateName(b.getState()));
            }
        }
        if (!all && !missing.isEmpty()) {
            return missing;
        }
        // A component configured by a factory configuration (a wheel loop, an encoder) does not
        // exist at all until FileInstall has delivered its file, so "no component unsatisfied"
        // alone said ready too soon: a setpoint then found no encoder stream and tripped.
        missing.addAll(configurationFilesNotLoaded());
        if (!all && !missing.isEmpty()) {
            return missing;
        }
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!scr.isComponentEnabled(d)) {
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                String problem = switch (c.state) {
                    case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "waits for its configuration";
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "waits for a service it needs";
                    case ComponentConfigurationDTO.FAILED_ACTIVATION -> "failed to activate: " + c.failure;
                    // a delayed component is healthy while satisfied (it activates at its first use);
                    // an immediate one is still being activated, and what it does then is not done yet
                    case ComponentConfigurationDTO.SATISFIED -> d.immediate ? "is being activated" : null;
                    default -> null;
                };
                if (problem != null) {
                    missing.add("component " + d.name + " " + problem);
                }
            }
        }
        return missing;
    }

    /** @return one entry per configuration file in FileInstall's directory that Configuration Admin does not hold yet */
    List<String> configurationFilesNotLoaded() {
        String dir = context.getProperty("felix.fileinstall.dir");
        if (dir == null || dir.isBlank() || !Files.isDirectory(Path.of(dir.trim()))) {
            return List.of(); // no robot configuration directory: nothing to wait for
        }
        Pattern filter = Pattern.compile(property("felix.fileinstall.filter", ".*\\.(cfg|config)$"));
        List<Path> files;
        try (Stream<Path> all = Files.list(Path.of(dir.trim()))) {
            files = all.filter(f -> filter.matcher(f.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            return List.of("the configuration directory " + dir + " cannot be read: " + e.getMessage());
        }
        if (files.isEmpty()) {
            return List.of();
        }
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return List.of("Configuration Admin is not running yet");
        }
        Set<String> loaded = new HashSet<>();
        try {
            Configuration[] configs = cm.listConfigurations("(" + FILEINSTALL_FILENAME + "=*)");
            for (Configuration c : configs == null ? new Configuration[0] : configs) {
                Object f = c.getProperties() == null ? null : c.getProperties().get(FILEINSTALL_FILENAME);
                if (f != null) {
                    loaded.add(f.toString());
                }
            }
        } catch (IOException | InvalidSyntaxException | IllegalStateException e) {
            return List.of("Configuration Admin cannot be asked: " + e.getMessage());
        }
        List<String> missing = new ArrayList<>();
        for (Path f : files) {
            if (!loaded.contains(f.toAbsolutePath().toFile().toURI().toString())) { // as FileInstall writes it: file:/..., not file:///...
                missing.add("configuration file " + f.getFileName() + " is not loaded (FileInstall has not read it, or could not)");
            }
        }
        return missing;
    }

    /** The property FileInstall gives each configuration it made from a file: the file's URI. */
    static final String FILEINSTALL_FILENAME = "felix.fileinstall.filename";

    private int activeBundles() {
        int n = 0;
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.ACTIVE) {
                n++;
            }
        }
        return n;
    }

    private int components() {
        int n = 0;
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            n += scr.getComponentConfigurationDTOs(d).size();
        }
        return n;
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED (not resolved)";
            case Bundle.RESOLVED -> "RESOLVED (not started)";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
    }
}
