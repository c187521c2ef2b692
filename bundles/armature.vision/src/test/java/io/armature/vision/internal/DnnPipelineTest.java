package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.osgi.service.log.Logger;

import io.armature.testing.ComponentConfigs;
import io.armature.vision.VisionSample;

/**
 * A small Darknet classifier the test writes (a 1x1 convolution that weighs red and green, a
 * global average pool and a softmax) run through the DNN pipeline: it tells a red frame from a
 * green one, and a backend this OpenCV build lacks falls back to the CPU with one warning.
 */
class DnnPipelineTest {

    @TempDir
    static Path dir;
    private static Path cfg;
    private static Path weights;

    @BeforeAll
    static void model() throws IOException {
        OpenCvNatives.load();
        cfg = Files.writeString(dir.resolve("redgreen.cfg"), String.join("\n",
                "[net]", "width=8", "height=8", "channels=3", "",
                "[convolutional]", "filters=2", "size=1", "stride=1", "pad=0", "activation=linear", "",
                "[avgpool]", "", "[softmax]", ""));
        ByteBuffer b = ByteBuffer.allocate(12 + 8 + 4 * (2 + 6)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0).putInt(2).putInt(0).putLong(0); // version 0.2.0, images seen
        b.putFloat(0).putFloat(0); // biases
        b.putFloat(10).putFloat(0).putFloat(0); // filter 0 weighs the first input channel: red (the blob is RGB)
        b.putFloat(0).putFloat(10).putFloat(0); // filter 1: green
        weights = Files.write(dir.resolve("redgreen.weights"), b.array());
    }

    private static Map<String, Object> config(String backend, String target) {
        Map<String, Object> c = new HashMap<>();
        c.put("model", weights.toString());
        c.put("modelConfig", cfg.toString());
        c.put("inputWidth", 8);
        c.put("inputHeight", 8);
        c.put("backend", backend);
        c.put("target", target);
        return c;
    }

    private static VisionSample classify(DnnPipeline p, Scalar bgr) {
        Mat frame = new Mat(48, 64, CvType.CV_8UC3, bgr);
        VisionSample out = new VisionSample();
        p.process(frame, 1, 0, out);
        frame.release();
        return out;
    }

    @Test
    void tellsRedFromGreenOnTheCpu() {
        DnnPipeline p = new DnnPipeline();
        p.activate(ComponentConfigs.of(DnnPipeline.Config.class, config("opencv", "cpu")), null);
        try {
            assertEquals("opencv/cpu", p.backend());
            VisionSample red = classify(p, new Scalar(0, 0, 255));
            assertTrue(red.found());
            assertEquals(0, red.targetId(), "red");
            assertTrue(red.confidence() > 0.99, "softmax of 10 against 0, was " + red.confidence());
            VisionSample green = classify(p, new Scalar(0, 255, 0));
            assertEquals(1, green.targetId(), "green");
            VisionSample grey = classify(p, new Scalar(128, 128, 128));
            assertFalse(grey.found() && grey.confidence() > 0.6, "grey is neither: " + grey);
        } finally {
            p.stop();
        }
    }

    @Test
    void anUnavailableBackendFallsBackToTheCpuWithOneWarning() {
        List<String> warnings = new ArrayList<>();
        Logger log = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (proxy, m, args) -> {
            if (m.getName().equals("warn")) {
                String text = (String) args[0];
                Object[] values = args.length == 2 && args[1] instanceof Object[] varargs ? varargs : java.util.Arrays.copyOfRange(args, 1, args.length);
                for (Object v : values) {
                    text = text.replaceFirst("\\{}", java.util.regex.Matcher.quoteReplacement(String.valueOf(v)));
                }
                warnings.add(text);
            }
            return m.getReturnType() == boolean.class ? true : null;
        });
        DnnPipeline p = new DnnPipeline();
        p.setLogger(log);
        p.activate(ComponentConfigs.of(DnnPipeline.Config.class, config("cuda", "cuda_fp16")), null);
        try {
            assertEquals(List.of("dnn pipeline 'objects': backend cuda/cuda_fp16 requested but this OpenCV build has no NVIDIA CUDA; "
                    + "falling back to the CPU (opencv/cpu)"), warnings);
            assertEquals("opencv/cpu (fallback from cuda/cuda_fp16)", p.backend());
            assertEquals(1, classify(p, new Scalar(0, 255, 0)).targetId(), "still classifies, on the CPU");
        } finally {
            p.stop();
        }
    }

    @Test
    void availabilityFollowsTheBuildAndTheDrivers() {
        String withCuda = "General configuration\n  NVIDIA CUDA:                   YES (ver 12.2)\n  OpenCL:                        YES\n";
        String plain = "General configuration\n  OpenCL:                        YES (no extra features)\n";
        assertEquals(null, DnnPipeline.Model.unavailable("cuda", "cuda_fp16", withCuda, false));
        assertEquals("this OpenCV build has no NVIDIA CUDA", DnnPipeline.Model.unavailable("cuda", "cuda", plain, true));
        assertEquals("backend cuda does not run on target cpu", DnnPipeline.Model.unavailable("cuda", "cpu", withCuda, true));
        assertEquals("no OpenCL driver is installed", DnnPipeline.Model.unavailable("opencv", "opencl", plain, false));
        assertEquals(null, DnnPipeline.Model.unavailable("opencv", "opencl_fp16", plain, true));
        assertEquals(null, DnnPipeline.Model.unavailable("opencv", "cpu", "", false));
    }

    @Test
    void badModelOrBackendIsRefusedInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DnnPipeline().activate(
                ComponentConfigs.of(DnnPipeline.Config.class, config("tensorrt", "cpu")), null));
        assertTrue(e.getMessage().startsWith("dnn 'objects': backend must be one of "), e.getMessage());
        Map<String, Object> missing = config("opencv", "cpu");
        missing.put("model", dir.resolve("none.onnx").toString());
        e = assertThrows(IllegalArgumentException.class, () -> new DnnPipeline().activate(
                ComponentConfigs.of(DnnPipeline.Config.class, missing), null));
        assertEquals("dnn 'objects': model '" + dir.resolve("none.onnx") + "' is missing or unreadable", e.getMessage());
    }
}
