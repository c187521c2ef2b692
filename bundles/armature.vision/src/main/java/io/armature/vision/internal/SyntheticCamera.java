package io.armature.vision.internal;

import java.util.ArrayList;
import java.util.List;

import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.simulation.GroundTruthPose;

/**
 * A camera for the simulated robot: renders, from the simulator's true pose, what a level camera
 * on the robot would see of ArUco markers and a floor line placed in the world.
 */
@Component(service = {}, immediate = true, configurationPid = SyntheticCamera.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SyntheticCamera.Config.class, factory = true)
public final class SyntheticCamera extends SourceComponent<SyntheticCamera.Config> {

    public static final String PID = "armature.vision.synthetic";

    @ObjectClassDefinition(name = "Armature synthetic camera", description = "Renders what the simulated robot sees: ArUco markers and a floor line.")
    public @interface Config {
        @AttributeDefinition(name = "Name", description = "Source name: the armature.vision.source service property that pipelines name.")
        String name() default "front";

        @AttributeDefinition(name = "Width (px)", description = "Frame width, 16..4096 pixels.")
        int width() default 640;

        @AttributeDefinition(name = "Height (px)", description = "Frame height, 16..4096 pixels.")
        int height() default 480;

        @AttributeDefinition(name = "Frame rate (fps)", description = "Frames per second, 1..240.")
        double fps() default 30;

        @AttributeDefinition(name = "Horizontal field of view (°)", description = "10..170 degrees; the focal length in pixels is width / 2 / tan(fov / 2).")
        double horizontalFovDeg() default 60;

        @AttributeDefinition(name = "Camera height (m)", description = "Height of the lens above the floor, 0.01..2 m; the camera looks level.")
        double cameraHeightM() default 0.12;

        @AttributeDefinition(name = "Camera forward offset (m)", description = "Lens ahead of the robot's centre, -1..1 m.")
        double cameraForwardM() default 0.08;

        @AttributeDefinition(name = "Markers", description = "Markers separated by ';', each 'id x y facingDeg' (x, y in m on the floor; "
                + "facing: the direction its face looks, degrees counter-clockwise from x).")
        String markers() default "7 2.5 0.6 200";

        @AttributeDefinition(name = "Dictionary", description = "ArUco dictionary the markers are drawn from, for example DICT_4X4_50.")
        String dictionary() default "DICT_4X4_50";

        @AttributeDefinition(name = "Marker size (m)", description = "Side of each marker's black square, 0.01..2 m.")
        double markerSizeM() default 0.15;

        @AttributeDefinition(name = "Marker height (m)", description = "Height of each marker's centre above the floor, 0..3 m.")
        double markerHeightM() default 0.15;

        @AttributeDefinition(name = "Floor line", description = "The line's points 'x,y x,y ...' in m; empty for no line.")
        String line() default "0.3,0 4,0";

        @AttributeDefinition(name = "Line width (m)", description = "0.005..1 m.")
        double lineWidthM() default 0.05;

        @AttributeDefinition(name = "Line colour (B,G,R)", description = "The line's colour, three values 0..255, blue first.")
        String lineColourBgr() default "0,220,255";
    }

    @Reference
    private GroundTruthPose pose;

    @Activate
    void activate(Config c, BundleContext context) {
        start(c.name(), c, context);
    }

    @Modified
    void modified(Config c) {
        reconfigure(c.name(), c);
    }

    @Override
    protected Medium open(Config c) {
        return open(c, pose);
    }

    /** Builds the renderer the configuration describes, reading the pose from {@code pose}; for tests too. */
    static Medium open(Config c, GroundTruthPose pose) {
        int w = Names.range("width", c.width(), 16, 4096);
        int h = Names.range("height", c.height(), 16, 4096);
        double fps = Names.range("fps", c.fps(), 1, 240);
        double fov = Names.range("horizontalFovDeg", c.horizontalFovDeg(), 10, 170);
        double camH = Names.range("cameraHeightM", c.cameraHeightM(), 0.01, 2);
        double camF = Names.range("cameraForwardM", c.cameraForwardM(), -1, 1);
        double size = Names.range("markerSizeM", c.markerSizeM(), 0.01, 2);
        double markerH = Names.range("markerHeightM", c.markerHeightM(), 0, 3);
        double lineW = Names.range("lineWidthM", c.lineWidthM(), 0.005, 1);
        int dictionary = Names.arucoDictionary(c.dictionary());
        List<SyntheticScene.Marker> markers = new ArrayList<>();
        for (String spec : c.markers() == null ? new String[0] : c.markers().split(";")) {
            if (spec == null || spec.isBlank()) {
                continue;
            }
            String[] f = spec.trim().split("\\s+");
            try {
                if (f.length != 4) {
                    throw new NumberFormatException();
                }
                markers.add(new SyntheticScene.Marker(Names.range("marker id", Integer.parseInt(f[0]), 0, 999),
                        finite(f[1]), finite(f[2]), Math.toRadians(finite(f[3]))));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("markers: each must be 'id x y facingDeg', was '" + spec + "'");
            }
        }
        double[] line = parseLine(c.line());
        Scalar colour = parseColour(c.lineColourBgr());
        SyntheticScene scene = new SyntheticScene(w, h, Math.toRadians(fov), camH, camF, markers, dictionary, size, markerH, line, lineW, colour);
        double[] xyh = new double[3];
        return new Medium(new Medium.Format("synthetic", w, h, fps, true)) {
            public boolean capture(Mat into) {
                pose.read(xyh);
                scene.render(xyh[0], xyh[1], xyh[2], into);
                return true;
            }

            public void close() {
                scene.release();
            }
        };
    }

    private static double finite(String s) {
        double v = Double.parseDouble(s);
        if (!Double.isFinite(v)) {
            throw new NumberFormatException();
        }
        return v;
    }

    static double[] parseLine(String spec) {
        if (spec == null || spec.isBlank()) {
            return new double[0];
        }
        String[] points = spec.trim().split("\\s+");
        if (points.length < 2) {
            throw new IllegalArgumentException("line needs at least two points 'x,y x,y', was '" + spec + "'");
        }
        double[] xy = new double[2 * points.length];
        for (int i = 0; i < points.length; i++) {
            String[] p = points[i].split(",");
            try {
                if (p.length != 2) {
                    throw new NumberFormatException();
                }
                xy[2 * i] = finite(p[0]);
                xy[2 * i + 1] = finite(p[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("line points must be 'x,y' in m, was '" + points[i] + "'");
            }
        }
        return xy;
    }

    static Scalar parseColour(String spec) {
        try {
            String[] p = Names.threeValues(spec);
            return new Scalar(Names.range("blue", Integer.parseInt(p[0]), 0, 255), Names.range("green", Integer.parseInt(p[1]), 0, 255),
                    Names.range("red", Integer.parseInt(p[2]), 0, 255));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lineColourBgr must be three values 0..255 'b,g,r', was '" + spec + "'");
        }
    }
}
