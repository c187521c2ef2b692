package io.armature.vision.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loads OpenCV's JNI library for tests outside a framework, from the armature.opencv bundle on
 * the test class path: straight from its classes directory, or copied once out of its jar into
 * this module's target directory (never a temporary directory).
 */
final class OpenCvNatives {

    private static boolean loaded;

    private OpenCvNatives() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        String arch = System.getProperty("os.arch").equals("aarch64") ? "ARMv8" : "x86_64";
        String resource = "nu/pattern/opencv/linux/" + arch + "/libopencv_java490.so";
        URL url = OpenCvNatives.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException(resource + " is not on the test class path: build armature.opencv first");
        }
        try {
            Path lib;
            if (url.getProtocol().equals("file")) {
                lib = Path.of(url.toURI());
            } else {
                lib = Path.of("target", "opencv-native", "libopencv_java490.so").toAbsolutePath();
                Files.createDirectories(lib.getParent());
                try (InputStream in = url.openStream()) {
                    Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            System.load(lib.toString());
            loaded = true;
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot load " + resource, e);
        }
    }
}
