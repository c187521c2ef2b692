package io.armature.opencv.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.opencv.core.Core;
import org.opencv.osgi.OpenCVInterface;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Loads the OpenCV JNI library through this bundle's class loader (the framework finds it by
 * Bundle-NativeCode, in its bundle cache) and then registers {@link OpenCVInterface}, so that a
 * component referencing that service runs only once OpenCV's native methods are usable.
 *
 * <p>Felix extracts the library again for every new class loader of this bundle (after each
 * refresh), into a numbered directory of its bundle cache, because the JVM will not load one file
 * from two class loaders; it removes them only when the bundle is updated or uninstalled. So that
 * refreshes do not pile up 65 MB copies, each start deletes the copies no process mapping uses
 * any more (read from {@code /proc/self/maps}; the natives are Linux-only anyway).
 */
public final class OpenCvActivator implements BundleActivator {

    /** Service property: the OpenCV version string ({@code String}), for example {@code 4.9.0}. */
    static final String PROPERTY_VERSION = "opencv.version";

    private ServiceRegistration<OpenCVInterface> registration;

    @Override
    public void start(BundleContext context) {
        System.loadLibrary(Core.NATIVE_LIBRARY_NAME);
        removeUnusedCopies();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(PROPERTY_VERSION, Core.VERSION);
        registration = context.registerService(OpenCVInterface.class, new OpenCVInterface() { }, props);
    }

    private static void removeUnusedCopies() {
        String file = System.mapLibraryName(Core.NATIVE_LIBRARY_NAME);
        try {
            Set<Path> mapped;
            try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
                mapped = maps.filter(l -> l.endsWith("/" + file)).map(l -> Path.of(l.substring(l.indexOf('/')))).collect(Collectors.toSet());
            }
            for (Path lib : mapped) {
                Path dir = lib.getParent();
                while (dir != null && !dir.getFileName().toString().endsWith("-lib")) {
                    dir = dir.getParent();
                }
                if (dir == null) {
                    continue; // not Felix's layout: leave it alone
                }
                try (Stream<Path> copies = Files.walk(dir)) {
                    for (Path copy : (Iterable<Path>) copies.filter(p -> p.getFileName().toString().equals(file))::iterator) {
                        if (!mapped.contains(copy)) {
                            Files.delete(copy); // an old class loader's copy, unmapped since it was collected
                        }
                    }
                }
                try (Stream<Path> dirs = Files.walk(dir)) {
                    dirs.sorted(Comparator.reverseOrder()).filter(Files::isDirectory).filter(d -> !d.equals(lib.getParent()))
                            .forEach(d -> d.toFile().delete()); // only empty directories go
                }
            }
        } catch (IOException | RuntimeException e) {
            // a copy left behind costs disk, not function
        }
    }

    @Override
    public void stop(BundleContext context) {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
    }
}
