package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.dnn.Dnn;
import org.osgi.service.log.Logger;

import io.armature.testing.ComponentConfigs;
import io.armature.vision.VisionSample;

/**
 * A small Darknet classifier the test writes (a 1x1 convolution that weighs red and green, a
 * global average pool and a softmax) run through the DNN pipeline: it tells a red frame from a
 * green one, and a backend this OpenCV build lacks falls back to the CPU with one warning. Through
 * the binding's internals a frame allocates nothing and gives the public API's blob and scores.
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

    @Test
    void aFrameGivesTheBlobAndScoresOfThePublicApi() {
        Mat image = new Mat(48, 64, CvType.CV_8UC3);
        Core.randu(image, 0, 256);
        for (boolean swapRB : new boolean[] {true, false}) {
            Map<String, Object> c = config("opencv", "cpu");
            c.put("scale", 0.0125);
            c.put("mean", "10,20,30");
            c.put("swapRB", swapRB);
            DnnPipeline.Model m = new DnnPipeline.Model(ComponentConfigs.of(DnnPipeline.Config.class, c), "objects", null, true);
            int count = m.classify(image);
            Mat blob = Dnn.blobFromImage(image, 0.0125, new Size(8, 8), new Scalar(10, 20, 30), swapRB, false);
            assertEquals(0, Core.norm(blob, m.blob, Core.NORM_INF), "the blob written in place is blobFromImage's, swapRB " + swapRB);
            m.net.setInput(blob);
            Mat out = m.net.forward();
            float[] expected = new float[(int) out.total()];
            out.get(new int[out.dims()], expected);
            assertEquals(2, count, "two classes");
            assertArrayEquals(expected, java.util.Arrays.copyOf(m.scores, count), "the scores are forward()'s, swapRB " + swapRB);
            out.release();
            blob.release();
            m.blob.release();
        }
        image.release();
    }

    @Test
    void theBindingInternalsClassifyAsThePublicApiDoes() {
        DnnPipeline internals = new DnnPipeline(true);
        DnnPipeline publicApi = new DnnPipeline(false);
        internals.activate(ComponentConfigs.of(DnnPipeline.Config.class, config("opencv", "cpu")), null);
        publicApi.activate(ComponentConfigs.of(DnnPipeline.Config.class, config("opencv", "cpu")), null);
        try {
            for (Scalar bgr : new Scalar[] {new Scalar(0, 0, 255), new Scalar(0, 255, 0), new Scalar(128, 128, 128), new Scalar(30, 90, 60)}) {
                VisionSample a = classify(internals, bgr);
                VisionSample b = classify(publicApi, bgr);
                assertEquals(b.found(), a.found(), "found, " + bgr);
                assertEquals(b.targetId(), a.targetId(), "class, " + bgr);
                assertEquals(b.confidence(), a.confidence(), 0.0, "score, " + bgr);
            }
        } finally {
            internals.stop();
            publicApi.stop();
        }
    }

    @Test
    void steadyStateAllocatesNothingPerFrame() throws Exception {
        PipelineThreadAllocation.assertNothingPerFrame("DNN pipeline, 8x8 classifier on 64x48 frames", 300, DnnPipelineTest::runOnItsThread);
    }

    /** Runs a pipeline on its own thread behind a 100 fps source of red frames, checking every result says red. */
    private static PipelineThreadAllocation runOnItsThread(boolean bindingInternals) throws InterruptedException {
        Mat red = new Mat(48, 64, CvType.CV_8UC3, new Scalar(0, 0, 255));
        CapturingSource source = new CapturingSource("front", new Medium(new Medium.Format("synthetic", 64, 48, 100, true)) {
            public boolean capture(Mat into) {
                red.copyTo(into);
                return true;
            }

            public void close() {
                red.release();
            }
        }, null);
        DnnPipeline pipeline = new DnnPipeline(bindingInternals);
        pipeline.activate(ComponentConfigs.of(DnnPipeline.Config.class, config("opencv", "cpu")), null);
        long[] redResults = new long[1];
        PipelineThreadAllocation measured = PipelineThreadAllocation.measure(pipeline, source, r -> {
            if (r.found() && r.targetId() == 0 && r.confidence() > 0.99) {
                redResults[0]++;
            }
        });
        assertEquals(pipeline.framesProcessed(), redResults[0], "every frame classified red");
        return measured;
    }
}
