package io.armature.opencv.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.opencv.core.Core;
import org.opencv.osgi.OpenCVInterface;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceRegistration;

/**
 * Registers {@link OpenCVInterface} as a service factory that loads the OpenCV JNI library through
 * this bundle's class loader (the framework finds it by Bundle-NativeCode, in its bundle cache)
 * when a bundle first gets the service, so a component referencing it runs only once OpenCV's
 * native methods are usable, and a robot that carries OpenCV with vision turned off never pays
 * for extracting and loading the 65 MB library at start.
 *
 * <p>Felix extracts the library again for every new class loader of this bundle (after each
 * refresh), into a numbered directory of its bundle cache, because the JVM will not load one file
 * from two class loaders; it removes them only when the bundle is updated or uninstalled. So that
 * refreshes do not pile up 65 MB copies, each start deletes the copies no process mapping uses
 * any more (read from {@code /proc/self/maps}; the natives are Linux-only anyway).
 *
 * <p>When the framework is restarted inside the same JVM (an update of the system bundle, a
 * launcher that restarts it), Felix numbers its copies from 0 again, so it can hand this bundle's
 * new class loader the very file a class loader of the stopped framework still holds; the JVM then
 * refuses it ("already loaded in another classloader") until that loader is collected, which may
 * be never. The library is then loaded from a fresh copy in this bundle's data area instead.
 */
public final class OpenCvActivator implements BundleActivator {

    /** Service property: the OpenCV version string ({@code String}), for example {@code 4.9.0}. */
    static final String PROPERTY_VERSION = "opencv.version";

    /** Directory in the bundle's data area for copies of the library; the name ends like Felix's. */
    private static final String PRIVATE_COPIES = "opencv-lib";

    private ServiceRegistration<OpenCVInterface> registration;

    @Override
    public void start(BundleContext context) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(PROPERTY_VERSION, Core.VERSION); // plain Java: no native call
        OpenCVInterface loaded = new OpenCVInterface() { };
        boolean[] done = {false};
        registration = context.registerService(OpenCVInterface.class, new ServiceFactory<OpenCVInterface>() {
            @Override
            public OpenCVInterface getService(Bundle bundle, ServiceRegistration<OpenCVInterface> reg) {
                synchronized (done) {
                    if (!done[0]) {
                        load(context); // an UnsatisfiedLinkError reaches the framework's log, and the caller gets no service
                        done[0] = true;
                    }
                }
                return loaded;
            }

            @Override
            public void ungetService(Bundle bundle, ServiceRegistration<OpenCVInterface> reg, OpenCVInterface service) {
                // the library stays loaded as long as this class loader lives
            }
        }, props);
    }

    private static void load(BundleContext context) {
        Path privateCopies = context.getDataFile(PRIVATE_COPIES).toPath();
        try {
            System.loadLibrary(Core.NATIVE_LIBRARY_NAME);
        } catch (UnsatisfiedLinkError e) {
            try {
                System.load(privateCopy(context.getBundle(), privateCopies).toString());
            } catch (UnsatisfiedLinkError | IOException | RuntimeException again) {
                e.addSuppressed(again);
                throw e;
            }
        }
        removeUnusedCopies(privateCopies);
    }

    /**
     * Copies the library this platform's Bundle-NativeCode clause names out of the bundle into a
     * new directory under {@code root}.
     */
    static Path privateCopy(Bundle bundle, Path root) throws IOException {
        String entry = nativeCodeEntry(bundle.getHeaders().get(Constants.BUNDLE_NATIVECODE), System.getProperty("os.arch"));
        URL url = bundle.getEntry(entry);
        if (url == null) {
            throw new IOException("the bundle has no entry " + entry + ", which its Bundle-NativeCode names");
        }
        Path dir = Files.createTempDirectory(Files.createDirectories(root), "copy");
        Path copy = dir.resolve(entry.substring(entry.lastIndexOf('/') + 1));
        try (InputStream in = url.openStream()) {
            Files.copy(in, copy);
        }
        return copy;
    }

    /** The path of the Bundle-NativeCode clause for {@code osArch} (a value of {@code os.arch}). */
    static String nativeCodeEntry(String header, String osArch) {
        String processor = switch (osArch) {
            case "amd64", "x86_64", "x86-64" -> "x86-64";
            case "aarch64", "arm64" -> "aarch64";
            default -> osArch;
        };
        for (String clause : header.split(",")) {
            String[] parts = clause.trim().split(";");
            for (int i = 1; i < parts.length; i++) {
                if (parts[i].trim().equals("processor=" + processor)) {
                    return parts[0].trim();
                }
            }
        }
        throw new IllegalArgumentException("Bundle-NativeCode has no library for processor " + osArch + ": " + header);
    }

    private static void removeUnusedCopies(Path privateCopies) {
        String file = System.mapLibraryName(Core.NATIVE_LIBRARY_NAME);
        try {
            Set<Path> mapped;
            try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
                mapped = maps.filter(l -> l.endsWith("/" + file)).map(l -> Path.of(l.substring(l.indexOf('/')))).collect(Collectors.toSet());
            }
            Set<Path> roots = new HashSet<>();
            if (Files.isDirectory(privateCopies)) {
                roots.add(privateCopies); // copies from earlier runs, mapped or not
            }
            for (Path lib : mapped) {
                Path dir = lib.getParent();
                while (dir != null && !dir.getFileName().toString().endsWith("-lib")) {
                    dir = dir.getParent();
                }
                if (dir != null) {
                    roots.add(dir); // else not Felix's layout: leave it alone
                }
            }
            for (Path dir : roots) {
                try (Stream<Path> copies = Files.walk(dir)) {
                    for (Path copy : (Iterable<Path>) copies.filter(p -> p.getFileName().toString().equals(file))::iterator) {
                        if (!mapped.contains(copy)) {
                            Files.delete(copy); // an old class loader's copy, unmapped since it was collected
                        }
                    }
                }
                try (Stream<Path> dirs = Files.walk(dir)) {
                    dirs.sorted(Comparator.reverseOrder()).filter(Files::isDirectory).filter(d -> !d.equals(dir))
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
