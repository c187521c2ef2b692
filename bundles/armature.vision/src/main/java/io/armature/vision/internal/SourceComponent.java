package io.armature.vision.internal;

import org.opencv.osgi.OpenCVInterface;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * The lifecycle every source component shares: open and check the medium from the
 * configuration, then start; on a new configuration open the new medium first, so a bad one
 * leaves the running source as it was; on deactivate stop everything.
 *
 * @param <C> the component's configuration type
 */
abstract class SourceComponent<C> {

    protected Logger log;

    @Reference
    void setOpenCv(OpenCVInterface loaded) {
        // a reference only: the component starts once OpenCV's native library is loaded
    }
    private BundleContext context;
    private CapturingSource source;

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    /** @return the medium the configuration describes, opened; throws IllegalArgumentException with one line when it is bad */
    protected abstract Medium open(C config);

    protected final void start(String configuredName, C config, BundleContext bundleContext) {
        String name = Names.require("name", configuredName);
        Medium m = open(config);
        this.context = bundleContext;
        source = new CapturingSource(name, m, log);
        source.start(bundleContext);
        if (log != null) {
            log.info("frame source '{}' ({}): {}x{} at {} fps", name, m.format().kind(), m.format().width(), m.format().height(),
                    m.format().framesPerSecond());
        }
    }

    protected final void reconfigure(String configuredName, C config) {
        String name = Names.require("name", configuredName);
        Medium m = open(config);
        if (name.equals(source.name())) {
            source.replace(m);
        } else {
            source.stop();
            source = new CapturingSource(name, m, log);
            source.start(context);
        }
        if (log != null) {
            log.info("frame source '{}' reconfigured ({}): {}x{} at {} fps", name, m.format().kind(), m.format().width(),
                    m.format().height(), m.format().framesPerSecond());
        }
    }

    @Deactivate
    protected final void stop() {
        if (source != null) {
            source.stop();
            source = null;
        }
    }

    /** @return the running source, for tests */
    final CapturingSource source() {
        return source;
    }
}
