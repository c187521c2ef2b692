package io.armature.vision.internal;

import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfDouble;

/**
 * A pinhole camera calibration: focal lengths and principal point in pixels, and OpenCV's
 * distortion coefficients k1 k2 p1 p2 k3.
 */
record CameraModel(double fx, double fy, double cx, double cy, double[] distortion) {

    static CameraModel of(double fx, double fy, double cx, double cy, String distortion) {
        Names.range("fx", fx, 1, 100_000);
        Names.range("fy", fy, 1, 100_000);
        Names.range("cx", cx, 0, 100_000);
        Names.range("cy", cy, 0, 100_000);
        String[] parts = distortion == null || distortion.isBlank() ? new String[0] : distortion.trim().split("[\\s,]+");
        if (parts.length != 0 && parts.length != 4 && parts.length != 5) {
            throw new IllegalArgumentException("distortion must be 'k1 k2 p1 p2 [k3]' or empty, was '" + distortion + "'");
        }
        double[] d = new double[5];
        for (int i = 0; i < parts.length; i++) {
            try {
                d[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("distortion must be 'k1 k2 p1 p2 [k3]' or empty, was '" + distortion + "'");
            }
            Names.range("distortion coefficient " + (i + 1), d[i], -1000, 1000);
        }
        return new CameraModel(fx, fy, cx, cy, d);
    }

    Mat matrix() {
        Mat k = new Mat(3, 3, CvType.CV_64F);
        k.put(0, 0, fx, 0, cx, 0, fy, cy, 0, 0, 1);
        return k;
    }

    MatOfDouble distortionMat() {
        return new MatOfDouble(distortion);
    }
}
