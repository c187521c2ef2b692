package io.armature.vision.internal;

import java.util.List;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;
import org.opencv.objdetect.Dictionary;
import org.opencv.objdetect.Objdetect;

/**
 * Renders what a level pinhole camera on the robot sees of a flat world: a wall colour above the
 * horizon, a floor below it, a coloured line (a polyline of tape) on the floor, and square ArUco
 * markers standing upright. Everything is drawn with whole-image OpenCV calls on preallocated
 * Mats and points, from the pose alone; rendering a frame allocates nothing.
 *
 * <p>World frame: x, y on the floor, z up, heading counter-clockwise from x. Camera frame: x right,
 * y down, z forward.
 */
final class SyntheticScene {

    /** A marker standing upright: its centre at {@code (x, y, heightM)}, facing {@code facingRad} (the direction its face looks). */
    record Marker(int id, double x, double y, double facingRad) {
    }

    private static final double NEAR_M = 0.05;
    private static final int MARKER_PIXELS = 120;
    private static final int QUIET_ZONE_PIXELS = 20;

    private final int width;
    private final int height;
    private final double fx;
    private final double cx;
    private final double cy;
    private final double cameraHeightM;
    private final double cameraForwardM;
    private final double markerHeightM;
    private final double[] lineXy;
    private final double lineHalfWidthM;
    private final Marker[] markers;
    private final Mat[] textures;
    private final double textureSideM;

    private final Scalar wall = new Scalar(200, 200, 200);
    private final Scalar floor = new Scalar(90, 90, 90);
    private final Scalar lineColour;
    private final Scalar transparent = new Scalar(0, 0, 0);
    private final Point p0 = new Point();
    private final Point p1 = new Point();
    private final Size size;
    private final Mat homography = new Mat(3, 3, CvType.CV_64F);
    private final double[] h = new double[9];
    private final MatOfPoint[] polygons = new MatOfPoint[8];
    private final int[][] polygonData = new int[8][];
    private final double[] quad = new double[12];
    private final double[] clipped = new double[18];
    private final double[] c = new double[3];

    // camera pose for the frame being rendered
    private double camX;
    private double camY;
    private double sin;
    private double cos;

    SyntheticScene(int width, int height, double horizontalFovRad, double cameraHeightM, double cameraForwardM,
            List<Marker> markers, int dictionary, double markerSizeM, double markerHeightM, double[] lineXy, double lineWidthM,
            Scalar lineColour) {
        this.width = width;
        this.height = height;
        this.fx = width / 2.0 / Math.tan(horizontalFovRad / 2);
        this.cx = width / 2.0;
        this.cy = height / 2.0;
        this.cameraHeightM = cameraHeightM;
        this.cameraForwardM = cameraForwardM;
        this.markerHeightM = markerHeightM;
        this.lineXy = lineXy.clone();
        this.lineHalfWidthM = lineWidthM / 2;
        this.lineColour = lineColour;
        this.markers = markers.toArray(Marker[]::new);
        this.size = new Size(width, height);
        for (int n = 3; n < polygons.length; n++) {
            polygons[n] = new MatOfPoint();
            polygons[n].create(n, 1, CvType.CV_32SC2);
            polygonData[n] = new int[2 * n];
        }
        Dictionary dict = Objdetect.getPredefinedDictionary(dictionary);
        textures = new Mat[this.markers.length];
        for (int i = 0; i < textures.length; i++) {
            Mat gray = new Mat();
            dict.generateImageMarker(this.markers[i].id(), MARKER_PIXELS, gray, 1);
            Mat padded = new Mat();
            Core.copyMakeBorder(gray, padded, QUIET_ZONE_PIXELS, QUIET_ZONE_PIXELS, QUIET_ZONE_PIXELS, QUIET_ZONE_PIXELS,
                    Core.BORDER_CONSTANT, new Scalar(255));
            textures[i] = new Mat();
            Imgproc.cvtColor(padded, textures[i], Imgproc.COLOR_GRAY2BGR);
            gray.release();
            padded.release();
        }
        this.textureSideM = markerSizeM * (MARKER_PIXELS + 2.0 * QUIET_ZONE_PIXELS) / MARKER_PIXELS;
    }

    /** @return the focal length in pixels of this camera (square pixels) */
    double focalLengthPixels() {
        return fx;
    }

    /** Renders the view from the robot pose {@code (x, y, heading)} (m, m, rad) into {@code frame} (8-bit BGR). */
    void render(double x, double y, double heading, Mat frame) {
        frame.create(height, width, CvType.CV_8UC3);
        sin = Math.sin(heading);
        cos = Math.cos(heading);
        camX = x + cameraForwardM * cos;
        camY = y + cameraForwardM * sin;
        int horizon = (int) Math.round(cy);
        p0.x = 0;
        p0.y = 0;
        p1.x = width - 1;
        p1.y = horizon;
        Imgproc.rectangle(frame, p0, p1, wall, -1);
        p0.x = 0;
        p0.y = horizon;
        p1.x = width - 1;
        p1.y = height - 1;
        Imgproc.rectangle(frame, p0, p1, floor, -1);
        for (int i = 0; i + 3 < lineXy.length; i += 2) {
            drawSegment(frame, lineXy[i], lineXy[i + 1], lineXy[i + 2], lineXy[i + 3]);
        }
        for (int i = 0; i < markers.length; i++) {
            drawMarker(frame, markers[i], textures[i]);
        }
    }

    private void drawSegment(Mat frame, double ax, double ay, double bx, double by) {
        double len = Math.hypot(bx - ax, by - ay);
        if (len == 0) {
            return;
        }
        double nx = -(by - ay) / len * lineHalfWidthM;
        double ny = (bx - ax) / len * lineHalfWidthM;
        toCamera(ax + nx, ay + ny, 0, quad, 0);
        toCamera(bx + nx, by + ny, 0, quad, 3);
        toCamera(bx - nx, by - ny, 0, quad, 6);
        toCamera(ax - nx, ay - ny, 0, quad, 9);
        int n = clipNear(quad, 4, clipped);
        if (n < 3) {
            return;
        }
        int[] data = polygonData[n];
        for (int i = 0; i < n; i++) {
            double z = clipped[3 * i + 2];
            data[2 * i] = (int) Math.round(fx * clipped[3 * i] / z + cx);
            data[2 * i + 1] = (int) Math.round(fx * clipped[3 * i + 1] / z + cy);
        }
        polygons[n].put(0, 0, data);
        Imgproc.fillConvexPoly(frame, polygons[n], lineColour);
    }

    /** Clips a convex polygon (camera coordinates, xyz triples) to z >= NEAR_M; returns the new vertex count. */
    private static int clipNear(double[] in, int n, double[] out) {
        int m = 0;
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            double zi = in[3 * i + 2];
            double zj = in[3 * j + 2];
            boolean inI = zi >= NEAR_M;
            boolean inJ = zj >= NEAR_M;
            if (inI) {
                out[3 * m] = in[3 * i];
                out[3 * m + 1] = in[3 * i + 1];
                out[3 * m + 2] = zi;
                m++;
            }
            if (inI != inJ) {
                double t = (NEAR_M - zi) / (zj - zi);
                out[3 * m] = in[3 * i] + t * (in[3 * j] - in[3 * i]);
                out[3 * m + 1] = in[3 * i + 1] + t * (in[3 * j + 1] - in[3 * i + 1]);
                out[3 * m + 2] = NEAR_M;
                m++;
            }
        }
        return m;
    }

    private void drawMarker(Mat frame, Marker m, Mat texture) {
        double nx = Math.cos(m.facingRad());
        double ny = Math.sin(m.facingRad());
        if ((camX - m.x()) * nx + (camY - m.y()) * ny <= 0) {
            return; // the camera is behind the marker's face
        }
        double half = textureSideM / 2;
        // the marker's right as its viewer sees it, and the top-left corner of its texture
        double rx = -ny;
        double ry = nx;
        double tlx = m.x() - rx * half;
        double tly = m.y() - ry * half;
        double tlz = markerHeightM + half;
        for (int corner = 0; corner < 4; corner++) {
            double a = (corner & 1) * textureSideM;
            double b = (corner >> 1) * textureSideM;
            toCamera(tlx + rx * a, tly + ry * a, tlz - b, c, 0);
            if (c[2] < NEAR_M) {
                return; // partly behind the camera: not drawn
            }
        }
        double perPixel = textureSideM / texture.cols();
        // camera-frame images of the texture's u axis (world right), v axis (world down) and origin
        double ux = direction(rx, ry, 0, 0);
        double uy = direction(rx, ry, 0, 1);
        double uz = direction(rx, ry, 0, 2);
        double vx = direction(0, 0, -1, 0);
        double vy = direction(0, 0, -1, 1);
        double vz = direction(0, 0, -1, 2);
        toCamera(tlx, tly, tlz, c, 0);
        // H = K [u*perPixel, v*perPixel, origin]
        h[0] = fx * ux * perPixel + cx * uz * perPixel;
        h[1] = fx * vx * perPixel + cx * vz * perPixel;
        h[2] = fx * c[0] + cx * c[2];
        h[3] = fx * uy * perPixel + cy * uz * perPixel;
        h[4] = fx * vy * perPixel + cy * vz * perPixel;
        h[5] = fx * c[1] + cy * c[2];
        h[6] = uz * perPixel;
        h[7] = vz * perPixel;
        h[8] = c[2];
        homography.put(0, 0, h);
        Imgproc.warpPerspective(texture, frame, homography, size, Imgproc.INTER_LINEAR, Core.BORDER_TRANSPARENT, transparent);
    }

    /** Camera-frame component {@code axis} of the world direction (dx, dy, dz). */
    private double direction(double dx, double dy, double dz, int axis) {
        return switch (axis) {
            case 0 -> dx * sin - dy * cos;
            case 1 -> -dz;
            default -> dx * cos + dy * sin;
        };
    }

    /** Writes the camera-frame coordinates of world point (x, y, z) at {@code out[at..at+2]}. */
    private void toCamera(double x, double y, double z, double[] out, int at) {
        double dx = x - camX;
        double dy = y - camY;
        out[at] = dx * sin - dy * cos;
        out[at + 1] = cameraHeightM - z;
        out[at + 2] = dx * cos + dy * sin;
    }

    void release() {
        for (Mat t : textures) {
            t.release();
        }
        homography.release();
        for (MatOfPoint p : polygons) {
            if (p != null) {
                p.release();
            }
        }
    }
}
