package io.armature.kit.service;

import java.nio.file.Path;

import org.osgi.framework.BundleContext;

/**
 * Where the runtime keeps what must outlive a restart (the latched trip, the console password's
 * hash, the ROS bridge's token): the framework property {@value #PROPERTY}, or
 * {@code armature-data} in the working directory when it is not set.
 */
public final class DataDirectory {

    /** Framework property: the runtime's data directory ({@code String}, a path). */
    public static final String PROPERTY = "armature.data.dir";

    private DataDirectory() {
    }

    /** @return the data directory {@code context}'s framework names; the default without a context */
    public static Path of(BundleContext context) {
        String dir = context == null ? null : context.getProperty(PROPERTY);
        return Path.of(dir == null || dir.isBlank() ? "armature-data" : dir.trim());
    }
}
