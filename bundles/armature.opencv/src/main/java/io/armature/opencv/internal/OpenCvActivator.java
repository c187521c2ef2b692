package io.armature.opencv.internal;

import java.util.Dictionary;
import java.util.Hashtable;

import org.opencv.core.Core;
import org.opencv.osgi.OpenCVInterface;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Loads the OpenCV JNI library through this bundle's class loader (the framework finds it by
 * Bundle-NativeCode, in its bundle cache) and then registers {@link OpenCVInterface}, so that a
 * component referencing that service runs only once OpenCV's native methods are usable.
 */
public final class OpenCvActivator implements BundleActivator {

    /** Service property: the OpenCV version string ({@code String}), for example {@code 4.9.0}. */
    static final String PROPERTY_VERSION = "opencv.version";

    private ServiceRegistration<OpenCVInterface> registration;

    @Override
    public void start(BundleContext context) {
        System.loadLibrary(Core.NATIVE_LIBRARY_NAME);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(PROPERTY_VERSION, Core.VERSION);
        registration = context.registerService(OpenCVInterface.class, new OpenCVInterface() { }, props);
    }

    @Override
    public void stop(BundleContext context) {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
    }
}
