package io.armature.itest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Boots a real Felix inside the test JVM with exactly the bundles and framework properties of a
 * built feature jar ({@code features/target/<feature>.jar}), as the bnd launcher would, with a
 * few properties changed for the test: a free HTTP port, its own data and configuration
 * directories, and a non-interactive Gogo shell (the test JVM's stdin belongs to Surefire).
 *
 * <p>The API packages are exported by the system bundle so that the test code and the bundles
 * share one {@code io.armature.*} class space.
 */
public final class FeatureRuntime implements AutoCloseable {

    /** The API packages, exported from the system bundle at the versions armature.api exports them. */
    static final String API_PACKAGES = apiPackages();

    private Framework framework;
    private final Map<String, String> properties;
    private final Path workDir;
    private final Path configDir;
    private final Path dataDir;
    private final int httpPort;
    private final ByteArrayOutputStream console;
    private final PrintStream originalOut;
    private final PrintStream originalErr;

    private FeatureRuntime(Framework framework, Map<String, String> properties, Path workDir, Path configDir, Path dataDir, int httpPort,
            ByteArrayOutputStream console, PrintStream originalOut, PrintStream originalErr) {
        this.properties = properties;
        this.console = console;
        this.originalOut = originalOut;
        this.originalErr = originalErr;
        this.framework = framework;
        this.workDir = workDir;
        this.configDir = configDir;
        this.dataDir = dataDir;
        this.httpPort = httpPort;
    }

    /** Starts the feature with its own copy of {@code runtime-config/<feature>/}. */
    public static FeatureRuntime start(String feature) throws Exception {
        return start(feature, Map.of());
    }

    /**
     * @param overrides framework properties to set beyond the test defaults
     */
    public static FeatureRuntime start(String feature, Map<String, String> overrides) throws Exception {
        return start(feature, overrides, configDir -> { });
    }

    /**
     * @param overrides   framework properties to set beyond the test defaults
     * @param configEdits edits the feature's copied configuration directory before the framework
     *                    starts, for example to point a board at a fake device tree
     */
    public static FeatureRuntime start(String feature, Map<String, String> overrides, ConfigEdits configEdits) throws Exception {
        return start(feature, overrides, configEdits, null);
    }

    /** As {@link #start(String, Map, ConfigEdits)}, with {@code watcher} told of every bundle event from before the first bundle starts. */
    public static FeatureRuntime start(String feature, Map<String, String> overrides, ConfigEdits configEdits,
            org.osgi.framework.BundleListener watcher) throws Exception {
        Path jar = featuresDir().resolve(feature + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the features module first (mvn install)");
        }
        Path work = Files.createTempDirectory("armature-" + feature + "-");
        Path bundles = Files.createDirectories(work.resolve("bundles"));
        Path configDir = Files.createDirectories(work.resolve("config"));
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path robotConfig = Path.of(System.getProperty("armature.runtime-config.dir", "../runtime-config")).resolve(feature);
        if (Files.isDirectory(robotConfig)) {
            try (Stream<Path> files = Files.list(robotConfig)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.copy(f, configDir.resolve(f.getFileName()));
                }
            }
        }

        // The ROS bridge's ports, like the HTTP port, are free ones: a tool or a test elsewhere on
        // the machine may hold the usual 9090 and 8765.
        Path rosBridge = configDir.resolve("armature.bridge.ros.cfg");
        if (Files.isRegularFile(rosBridge)) {
            setConfig(rosBridge, "rosbridgePort", Integer.toString(freePort()));
            setConfig(rosBridge, "foxglovePort", Integer.toString(freePort()));
        }

        configEdits.edit(configDir);

        Properties launcher = new Properties();
        List<String> bundleFiles;
        Map<String, Integer> startLevels = new HashMap<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            try (InputStream in = j.getInputStream(j.getEntry("launcher.properties"))) {
                launcher.load(in);
            }
            bundleFiles = List.of(launcher.getProperty("launch.bundles").split(","));
            String[] attrs = launcher.getProperty("launch.runbundles.attrs", "").split(",");
            for (int i = 0; i < bundleFiles.size() && i < attrs.length; i++) {
                int at = attrs[i].indexOf("startlevel=");
                if (at >= 0) {
                    startLevels.put(bundleFiles.get(i), Integer.parseInt(attrs[i].substring(at + "startlevel=".length()).trim()));
                }
            }
            for (String entry : bundleFiles) {
                try (InputStream in = j.getInputStream(j.getEntry(entry))) {
                    Files.copy(in, bundles.resolve(Path.of(entry).getFileName()));
                }
            }
        }

        Map<String, String> props = new HashMap<>();
        for (String key : launcher.stringPropertyNames()) {
            if (!key.startsWith("launch.")) {
                props.put(key, launcher.getProperty(key));
            }
        }
        int port = freePort();
        props.put(Constants.FRAMEWORK_STORAGE, work.resolve("storage").toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, API_PACKAGES);
        props.put("org.osgi.service.http.port", Integer.toString(port));
        props.put("felix.fileinstall.dir", configDir.toString());
        props.put("felix.fileinstall.poll", "100");
        props.put("armature.data.dir", dataDir.toString());
        props.put("gosh.args", "--nointeractive --noshutdown");
        props.putAll(overrides);

        // Tee the console: the runtime prints its ready line, one-line errors and the generated
        // console password there, and tests read them as an operator would.
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new Tee(originalOut, console), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr, console), true, StandardCharsets.UTF_8));

        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        Framework framework = factory.newFramework(props);
        framework.init();
        BundleContext ctx = framework.getBundleContext();
        if (watcher != null) {
            ctx.addBundleListener(watcher);
        }
        int maxLevel = 1;
        List<Bundle> installed = new ArrayList<>();
        for (String entry : bundleFiles) {
            Path file = bundles.resolve(Path.of(entry).getFileName());
            Bundle b = ctx.installBundle(file.toUri().toString());
            int level = startLevels.getOrDefault(entry, 1);
            b.adapt(BundleStartLevel.class).setStartLevel(level);
            maxLevel = Math.max(maxLevel, level);
            installed.add(b);
        }
        for (Bundle b : installed) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                b.start(Bundle.START_ACTIVATION_POLICY);
            }
        }
        framework.start();
        int target = maxLevel + 1;
        Object done = new Object();
        synchronized (done) {
            framework.adapt(FrameworkStartLevel.class).setStartLevel(target, e -> {
                synchronized (done) {
                    done.notifyAll();
                }
            });
            done.wait(30_000);
        }
        return new FeatureRuntime(framework, props, work, configDir, dataDir, port, console, originalOut, originalErr);
    }

    /**
     * Stops the framework as a shutdown of the robot would, then starts it again from its storage,
     * as the launcher does at the next boot: the installed bundles, their start levels and their
     * data areas stay; nothing is installed again from the feature jar.
     */
    public void restart() throws Exception {
        framework.stop();
        framework.waitForStop(TimeUnit.SECONDS.toMillis(30));
        Map<String, String> again = new HashMap<>(properties);
        again.remove(Constants.FRAMEWORK_STORAGE_CLEAN);
        framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(again);
        framework.start();
    }

    /** Sets {@code key=value} in a FileInstall .cfg file, replacing the line that sets it. */
    public static void setConfig(Path cfg, String key, String value) throws IOException {
        List<String> lines = Files.readAllLines(cfg);
        if (lines.stream().noneMatch(l -> l.startsWith(key + "="))) {
            throw new IllegalArgumentException(cfg.getFileName() + " sets no " + key);
        }
        Files.write(cfg, lines.stream().map(l -> l.startsWith(key + "=") ? key + "=" + value : l).toList());
    }

    /** Changes to a feature's configuration files made before it starts. */
    @FunctionalInterface
    public interface ConfigEdits {
        void edit(Path configDir) throws IOException;
    }

    /** Starts the feature and waits (30 s at most) for its ready line: every bundle active, no component unsatisfied. */
    public static FeatureRuntime startReady(String feature) throws Exception {
        return startReady(feature, Map.of(), configDir -> { });
    }

    /** As {@link #startReady(String)}, with framework properties and configuration edits. */
    public static FeatureRuntime startReady(String feature, Map<String, String> overrides, ConfigEdits configEdits) throws Exception {
        FeatureRuntime robot = start(feature, overrides, configEdits);
        if (!Poll.until(30_000, () -> robot.console().contains("Armature " + feature + " ready"))) {
            String console = robot.console();
            robot.close();
            throw new AssertionError(feature + " did not report ready within 30 s; console:\n" + console);
        }
        return robot;
    }

    /**
     * Reads armature.api's own Export-Package (from its jar, or its classes directory in a reactor
     * build), so the tests and the bundles agree on versions whenever the API changes.
     */
    private static String apiPackages() {
        try {
            Path location = Path.of(io.armature.hal.Board.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            java.util.jar.Manifest manifest;
            if (Files.isDirectory(location)) {
                try (InputStream in = Files.newInputStream(location.resolve("META-INF/MANIFEST.MF"))) {
                    manifest = new java.util.jar.Manifest(in);
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    manifest = jar.getManifest();
                }
            }
            String exports = manifest.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
            List<String> packages = new ArrayList<>();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(io\\.armature\\.[\\w.]+)[^,]*?;version=\"?([0-9.]+)\"?")
                    .matcher(exports.replaceAll(";uses:=\"[^\"]*\"", ""));
            while (m.find()) {
                packages.add(m.group(1) + ";version=" + m.group(2));
            }
            return String.join(",", packages);
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot read armature.api's exports", e);
        }
    }

    private static Path featuresDir() {
        return Path.of(System.getProperty("armature.features.dir", "../features/target"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public BundleContext context() {
        return framework.getBundleContext();
    }

    public Framework framework() {
        return framework;
    }

    /** @return the directory FileInstall watches: this run's copy of {@code runtime-config/<feature>/} */
    public Path configDir() {
        return configDir;
    }

    /** @return the runtime's data directory ({@code armature.data.dir}) */
    public Path dataDir() {
        return dataDir;
    }

    public int httpPort() {
        return httpPort;
    }

    public Bundle bundle(String symbolicName) {
        for (Bundle b : context().getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new IllegalArgumentException("no bundle " + symbolicName);
    }

    /**
     * Makes a copy of an installed bundle's jar with another Bundle-Version, as a new release of
     * it would be, for side-by-side updates.
     */
    public Path newVersionOf(String symbolicName, String version) throws IOException {
        Path original = workDir.resolve("bundles").resolve(Path.of(java.net.URI.create(bundle(symbolicName).getLocation())).getFileName());
        Path copy = workDir.resolve(symbolicName + "-" + version + ".jar");
        try (java.util.jar.JarInputStream in = new java.util.jar.JarInputStream(Files.newInputStream(original))) {
            java.util.jar.Manifest manifest = in.getManifest();
            manifest.getMainAttributes().putValue(Constants.BUNDLE_VERSION, version);
            try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(copy), manifest)) {
                java.util.jar.JarEntry e;
                while ((e = in.getNextJarEntry()) != null) {
                    out.putNextEntry(new java.util.jar.JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return copy;
    }

    /** Waits for a service of {@code type} matching the LDAP {@code filter} (may be null). */
    public <T> T service(Class<T> type, String filter, long timeoutMillis) throws Exception {
        String f = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        return type.cast(await(filter == null ? f : "(&" + f + filter + ")", timeoutMillis));
    }

    /**
     * The safety supervisor, reset until it stays OK: on a loaded machine a sensor stall may trip
     * it while the robot starts.
     */
    public io.armature.safety.SafetySupervisor healthySupervisor() throws Exception {
        io.armature.safety.SafetySupervisor s = service(io.armature.safety.SafetySupervisor.class, null, 5_000);
        if (!Poll.until(15_000, () -> {
            try {
                s.reset("test");
            } catch (IllegalStateException stillUnhealthy) {
                return false;
            }
            return s.state() == io.armature.safety.SafetyState.OK;
        })) {
            throw new AssertionError("the supervisor could not be reset: " + s.tripReason());
        }
        return s;
    }

    /** Waits for a service by class name, for services whose API the test class path does not have. */
    public Object serviceObject(String className, long timeoutMillis) throws Exception {
        return await("(" + Constants.OBJECTCLASS + "=" + className + ")", timeoutMillis);
    }

    private Object await(String filter, long timeoutMillis) throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context(), context().createFilter(filter), null);
        tracker.open(true);
        try {
            Object s = tracker.waitForService(timeoutMillis);
            if (s == null) {
                throw new AssertionError("no service " + filter + " within " + timeoutMillis + " ms");
            }
            return s;
        } finally {
            tracker.close();
        }
    }

    /** Runs a Gogo command line as an operator would type it and returns what it prints. */
    public String gogo(String commandLine) throws Exception {
        Object processor = serviceObject("org.apache.felix.service.command.CommandProcessor", 10_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Method create = processor.getClass().getMethod("createSession", InputStream.class, java.io.OutputStream.class, java.io.OutputStream.class);
        Object session = create.invoke(processor, InputStream.nullInputStream(), ps, ps);
        Class<?> sessionType = session.getClass();
        try {
            Object result = method(sessionType, "execute", CharSequence.class).invoke(session, commandLine);
            if (result != null) {
                Object formatted = method(sessionType, "format", Object.class, int.class).invoke(session, result, 1);
                ps.print(formatted);
            }
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            // What the Gogo shell prints for a failed command: "gogo: <Type>: <message>".
            ps.print("gogo: " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } finally {
            method(sessionType, "close").invoke(session);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Method method(Class<?> type, String name, Class<?>... params) throws NoSuchMethodException {
        Method m = type.getMethod(name, params);
        m.setAccessible(true);
        return m;
    }

    @Override
    public void close() throws Exception {
        framework.stop();
        framework.waitForStop(TimeUnit.SECONDS.toMillis(30));
        System.setOut(originalOut);
        System.setErr(originalErr);
        try (Stream<Path> files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** @return the Web Console password the runtime generated and printed once at its first start */
    public String consolePassword() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Web Console user 'admin', password (\\S+) \\(shown once").matcher(console());
        if (!m.find()) {
            throw new AssertionError("no generated console password on the console:\n" + console());
        }
        return m.group(1);
    }

    /** @return what the runtime printed to stdout and stderr since it started */
    public String console() {
        return console.toString(StandardCharsets.UTF_8);
    }

    /** Writes to two streams; the capture is synchronized so readers see whole lines. */
    private static final class Tee extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final ByteArrayOutputStream b;

        Tee(java.io.OutputStream a, ByteArrayOutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
        }
    }
}
