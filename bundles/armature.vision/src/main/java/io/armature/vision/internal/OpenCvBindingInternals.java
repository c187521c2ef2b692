package io.armature.vision.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

import org.opencv.core.Mat;
import org.opencv.dnn.Net;
import org.opencv.objdetect.ArucoDetector;
import org.osgi.service.log.Logger;

/**
 * The private JNI entry points of OpenCV's Java binding that let a frame through without Java
 * heap allocation. The public methods that hand back a list of Mats or a new Mat wrap each native
 * result in new Java objects (a finalizable {@link Mat} and an {@code int[]} each); these entry
 * points take and return native addresses instead, so the caller reads the result into its own
 * preallocated arrays and frees each native {@code cv::Mat} the C++ side created.
 * <p>
 * The entry points are looked up once, through {@link MethodHandles#privateLookupIn} (bundles live
 * in unnamed modules, which are open). When this OpenCV build lacks one of them, {@link #missing()}
 * names it and the pipelines take the public API instead.
 */
final class OpenCvBindingInternals {

    /** {@code ArucoDetector.detectMarkers_1(detector, image, corners vector_Mat, ids)}: (JJJJ)V. */
    private static final MethodHandle DETECT_MARKERS;
    /** {@code Net.forward_1(net)}: the address of a new {@code cv::Mat} header on the first output. */
    private static final MethodHandle FORWARD;
    /** {@code Mat.n_delete(mat)}: deletes a {@code cv::Mat} header the binding created with new. */
    private static final MethodHandle DELETE;
    /** {@code Mat.nGetF(mat, row, col, count, float[])}: bytes copied. */
    private static final MethodHandle GET_FLOATS;
    /** {@code Mat.nGetFIdx(mat, int[] index, count, float[])}: bytes copied, for n-dimensional Mats. */
    private static final MethodHandle GET_FLOATS_AT;
    private static final MethodHandle DIMS;
    private static final MethodHandle TOTAL;
    private static final MethodHandle TYPE;
    private static final String MISSING;

    static {
        List<String> missing = new ArrayList<>();
        DETECT_MARKERS = find(missing, ArucoDetector.class, "detectMarkers_1", void.class, long.class, long.class, long.class, long.class);
        FORWARD = find(missing, Net.class, "forward_1", long.class, long.class);
        DELETE = find(missing, Mat.class, "n_delete", void.class, long.class);
        GET_FLOATS = find(missing, Mat.class, "nGetF", int.class, long.class, int.class, int.class, int.class, float[].class);
        GET_FLOATS_AT = find(missing, Mat.class, "nGetFIdx", int.class, long.class, int[].class, int.class, float[].class);
        DIMS = find(missing, Mat.class, "n_dims", int.class, long.class);
        TOTAL = find(missing, Mat.class, "n_total", long.class, long.class);
        TYPE = find(missing, Mat.class, "n_type", int.class, long.class);
        MISSING = missing.isEmpty() ? null : String.join(", ", missing);
    }

    private OpenCvBindingInternals() {
    }

    /** @return the static method, or null after adding its {@code Class.name(signature)} to {@code missing} */
    static MethodHandle find(List<String> missing, Class<?> owner, String name, Class<?> returns, Class<?>... parameters) {
        MethodType type = MethodType.methodType(returns, parameters);
        try {
            return MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findStatic(owner, name, type);
        } catch (ReflectiveOperationException | IllegalArgumentException | SecurityException e) {
            missing.add(owner.getSimpleName() + "." + name + type);
            return null;
        }
    }

    /** @return true when every entry point was found */
    static boolean available() {
        return MISSING == null;
    }

    /** @return the entry points this OpenCV build lacks, as {@code Class.name(signature)}, or null when none */
    static String missing() {
        return MISSING;
    }

    /** Logs one warning naming what is missing, when something is; {@code log} may be null. */
    static void warnWhenMissing(Logger log, String kind, String pipelineName) {
        if (MISSING != null && log != null) {
            log.warn("{} pipeline '{}': this OpenCV build lacks {}; running through the public API, which allocates on every frame",
                    kind, pipelineName, MISSING);
        }
    }

    /**
     * Detects markers as {@link ArucoDetector#detectMarkers(Mat, List, Mat)} does, without wrapping
     * the corners in Java Mats.
     *
     * @param cornerAddresses becomes an n x 1 CV_32SC2 Mat: row i holds the address of marker i's
     *                        corners (a new 1 x 4 CV_32FC2 {@code cv::Mat}) as high and low 32 bits;
     *                        the caller reads each with {@link #address(int, int)} and frees it with
     *                        {@link #delete(long)}
     */
    static void detectMarkers(ArucoDetector detector, Mat image, Mat cornerAddresses, Mat ids) {
        try {
            DETECT_MARKERS.invokeExact(detector.getNativeObjAddr(), image.nativeObj, cornerAddresses.nativeObj, ids.nativeObj);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    /** @return the native address from the two 32-bit halves a vector_Mat row holds */
    static long address(int high, int low) {
        return ((long) high << 32) | (low & 0xffffffffL);
    }

    /**
     * Runs the network on its input, as {@link Net#forward()} does.
     *
     * @return the address of a new {@code cv::Mat} header on the first output blob (valid until
     *         the next forward); the caller frees it with {@link #delete(long)}
     */
    static long forward(Net net) {
        try {
            return (long) FORWARD.invokeExact(net.getNativeObjAddr());
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    /** Deletes a {@code cv::Mat} the binding created; its data goes when no other Mat holds it. */
    static void delete(long mat) {
        try {
            DELETE.invokeExact(mat);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    /** Copies a 2-dimensional CV_32F Mat's first {@code into.length} floats from row 0, column 0; @return bytes copied */
    static int getFloats(long mat, float[] into) {
        try {
            return (int) GET_FLOATS.invokeExact(mat, 0, 0, into.length, into);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    /** Copies a CV_32F Mat's first {@code into.length} floats from {@code index} (one entry per dimension); @return bytes copied */
    static int getFloats(long mat, int[] index, float[] into) {
        try {
            return (int) GET_FLOATS_AT.invokeExact(mat, index, into.length, into);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    static int dims(long mat) {
        try {
            return (int) DIMS.invokeExact(mat);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    static long total(long mat) {
        try {
            return (long) TOTAL.invokeExact(mat);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    /** @return the Mat's type, as {@link org.opencv.core.CvType} numbers it */
    static int type(long mat) {
        try {
            return (int) TYPE.invokeExact(mat);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    private static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r; // OpenCV's CvException, which the pipeline counts as a frame error
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
