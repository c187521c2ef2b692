package io.armature.vision.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.opencv.core.Core;
import org.opencv.core.CvException;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.dnn.Dnn;
import org.opencv.dnn.Image2BlobParams;
import org.opencv.dnn.Net;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.log.Logger;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.vision.VisionSample;

/**
 * Image classification through OpenCV dnn (any model format it reads: ONNX, Darknet, Caffe,
 * TensorFlow): the class with the highest score, and that score. The backend and target come from
 * the configuration; when this OpenCV build cannot run them, or the model fails on them, the
 * pipeline says so in one warning and runs on the CPU.
 * <p>
 * A frame allocates nothing on the Java heap: the input blob is written into a preallocated Mat
 * ({@code Dnn.blobFromImageWithParams}, same parameters and result as {@code blobFromImage}), and
 * the output comes through the binding's native entry point straight into a preallocated score
 * array, its native Mat header freed right away ({@link OpenCvBindingInternals}). Where this
 * OpenCV build lacks that entry point, the pipeline says so in one warning and takes the output
 * through the public {@code Net.forward()}, which allocates a new Mat every frame.
 */
@Component(service = {}, immediate = true, configurationPid = DnnPipeline.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = DnnPipeline.Config.class, factory = true)
public final class DnnPipeline extends PipelineBase<DnnPipeline.Model> {

    public static final String PID = "armature.vision.dnn";

    static final Map<String, Integer> BACKENDS = Map.of(
            "default", Dnn.DNN_BACKEND_DEFAULT, "opencv", Dnn.DNN_BACKEND_OPENCV, "cuda", Dnn.DNN_BACKEND_CUDA,
            "openvino", Dnn.DNN_BACKEND_INFERENCE_ENGINE, "vkcom", Dnn.DNN_BACKEND_VKCOM, "halide", Dnn.DNN_BACKEND_HALIDE,
            "webnn", Dnn.DNN_BACKEND_WEBNN, "timvx", Dnn.DNN_BACKEND_TIMVX, "cann", Dnn.DNN_BACKEND_CANN);
    static final Map<String, Integer> TARGETS = Map.ofEntries(
            Map.entry("cpu", Dnn.DNN_TARGET_CPU), Map.entry("opencl", Dnn.DNN_TARGET_OPENCL),
            Map.entry("opencl_fp16", Dnn.DNN_TARGET_OPENCL_FP16), Map.entry("myriad", Dnn.DNN_TARGET_MYRIAD),
            Map.entry("vulkan", Dnn.DNN_TARGET_VULKAN), Map.entry("fpga", Dnn.DNN_TARGET_FPGA), Map.entry("cuda", Dnn.DNN_TARGET_CUDA),
            Map.entry("cuda_fp16", Dnn.DNN_TARGET_CUDA_FP16), Map.entry("hddl", Dnn.DNN_TARGET_HDDL), Map.entry("npu", Dnn.DNN_TARGET_NPU),
            Map.entry("cpu_fp16", Dnn.DNN_TARGET_CPU_FP16));

    @ObjectClassDefinition(name = "Armature DNN pipeline", description = "Image classification through OpenCV dnn, backend and target from configuration.")
    public @interface Config {
        @AttributeDefinition(name = "Name", description = "Pipeline name: the armature.vision.pipeline service property.")
        String name() default "objects";

        @AttributeDefinition(name = "Source", description = "Name of the frame source to read.")
        String source() default "front";

        @AttributeDefinition(name = "Model", description = "Model file: .onnx, .weights (Darknet), .caffemodel, .pb ...")
        String model();

        @AttributeDefinition(name = "Model configuration", description = "Second file some formats need (.cfg for Darknet, .prototxt for Caffe); empty for none.")
        String modelConfig() default "";

        @AttributeDefinition(name = "Input width (px)", description = "Width the frame is resized to for the network, 1..4096.")
        int inputWidth() default 224;

        @AttributeDefinition(name = "Input height (px)", description = "Height the frame is resized to for the network, 1..4096.")
        int inputHeight() default 224;

        @AttributeDefinition(name = "Scale", description = "Pixel values are multiplied by this after the mean is subtracted, 0..1000 (1/255 maps 8 bits to 0..1).")
        double scale() default 0.00392156862745098;

        @AttributeDefinition(name = "Mean (B,G,R)", description = "Subtracted from each pixel before scaling, 'b,g,r'.")
        String mean() default "0,0,0";

        @AttributeDefinition(name = "Swap red and blue", description = "Feed the network RGB (frames are BGR).")
        boolean swapRB() default true;

        @AttributeDefinition(name = "Backend", description = "default, opencv, cuda, openvino, vkcom, halide, webnn, timvx or cann.")
        String backend() default "opencv";

        @AttributeDefinition(name = "Target", description = "cpu, cpu_fp16, opencl, opencl_fp16, cuda, cuda_fp16, vulkan, myriad, hddl, npu or fpga.")
        String target() default "cpu";

        @AttributeDefinition(name = "Least confidence", description = "A best score below this is 'nothing found', 0..1.")
        double minConfidence() default 0.5;
    }

    /** The network and its settings, built and checked from one configuration. */
    static final class Model implements PipelineBase.Resources {
        final Net net;
        final Size inputSize;
        final Image2BlobParams blobParameters;
        final Mat blob = new Mat();
        final double minConfidence;
        final String backendInUse;
        final boolean bindingInternals;
        /** The last output's scores; sized once, to the model's output. */
        float[] scores = new float[0];
        /** Index of the output's first element, one 0 per dimension. */
        private int[] origin = new int[0];

        Model(Config c, String pipelineName, Logger log, boolean bindingInternals) {
            this.bindingInternals = bindingInternals;
            String model = c.model() == null ? "" : c.model().trim();
            if (model.isEmpty() || !Files.isReadable(Path.of(model))) {
                throw new IllegalArgumentException("dnn '" + pipelineName + "': model '" + c.model() + "' is missing or unreadable");
            }
            String second = c.modelConfig() == null ? "" : c.modelConfig().trim();
            if (!second.isEmpty() && !Files.isReadable(Path.of(second))) {
                throw new IllegalArgumentException("dnn '" + pipelineName + "': modelConfig '" + second + "' is missing or unreadable");
            }
            inputSize = new Size(Names.range("inputWidth", c.inputWidth(), 1, 4096), Names.range("inputHeight", c.inputHeight(), 1, 4096));
            double scale = Names.range("scale", c.scale(), 0, 1000);
            Scalar mean = parseMean(c.mean());
            // blobFromImage(image, scale, size, mean, swapRB, crop = false) builds exactly these parameters
            blobParameters = new Image2BlobParams(Scalar.all(scale), inputSize, mean, c.swapRB(), CvType.CV_32F);
            minConfidence = Names.range("minConfidence", c.minConfidence(), 0, 1);
            String backendName = c.backend() == null ? "" : c.backend().trim().toLowerCase(Locale.ROOT);
            String targetName = c.target() == null ? "" : c.target().trim().toLowerCase(Locale.ROOT);
            Integer backend = BACKENDS.get(backendName);
            Integer target = TARGETS.get(targetName);
            String requested = backendName + "/" + targetName;
            if (backend == null) {
                throw new IllegalArgumentException("dnn '" + pipelineName + "': backend must be one of " + BACKENDS.keySet() + ", was '" + c.backend() + "'");
            }
            if (target == null) {
                throw new IllegalArgumentException("dnn '" + pipelineName + "': target must be one of " + TARGETS.keySet() + ", was '" + c.target() + "'");
            }
            try {
                net = Dnn.readNet(model, second);
            } catch (CvException e) {
                throw new IllegalArgumentException("dnn '" + pipelineName + "': OpenCV cannot read the model " + model + ": " + firstLine(e));
            }
            if (net.empty()) {
                throw new IllegalArgumentException("dnn '" + pipelineName + "': OpenCV read no network from " + model);
            }
            // Dnn.getAvailableTargets would say this, but in the org.openpnp 4.9.0 build its JNI
            // wrapper crashes the JVM; the build information and the OpenCL loader say it too.
            String fallback = unavailable(backendName, targetName, Core.getBuildInformation(),
                    Files.isDirectory(Path.of("/etc/OpenCL/vendors")));
            if (fallback == null) {
                net.setPreferableBackend(backend);
                net.setPreferableTarget(target);
                try {
                    warmUp();
                } catch (CvException e) {
                    fallback = "the model failed on it: " + firstLine(e);
                }
            }
            if (fallback != null) {
                net.setPreferableBackend(Dnn.DNN_BACKEND_OPENCV);
                net.setPreferableTarget(Dnn.DNN_TARGET_CPU);
                try {
                    warmUp();
                } catch (CvException e) {
                    throw new IllegalArgumentException("dnn '" + pipelineName + "': the model does not run on the CPU either: " + firstLine(e));
                }
                backendInUse = "opencv/cpu (fallback from " + requested + ")";
                if (log != null) {
                    log.warn("dnn pipeline '{}': backend {} requested but {}; falling back to the CPU (opencv/cpu)", pipelineName, requested, fallback);
                }
            } else {
                backendInUse = requested;
            }
        }

        /** What each backend needs in OpenCV's build information, and the targets it runs on. */
        private static final Map<String, String> BACKEND_BUILD = Map.of("cuda", "NVIDIA CUDA", "openvino", "Inference Engine",
                "vkcom", "Vulkan", "halide", "Halide", "webnn", "WebNN", "timvx", "TIM-VX", "cann", "CANN");
        private static final Map<String, List<String>> BACKEND_TARGETS = Map.of(
                "default", List.of("cpu", "cpu_fp16", "opencl", "opencl_fp16"), "opencv", List.of("cpu", "cpu_fp16", "opencl", "opencl_fp16"),
                "cuda", List.of("cuda", "cuda_fp16"), "openvino", List.of("cpu", "opencl", "opencl_fp16", "myriad", "hddl", "fpga", "npu"),
                "vkcom", List.of("vulkan"), "halide", List.of("cpu", "opencl"), "webnn", List.of("cpu"), "timvx", List.of("npu"),
                "cann", List.of("npu"));

        /**
         * @param buildInformation {@code Core.getBuildInformation()}
         * @param openClDriver     whether an OpenCL driver is installed ({@code /etc/OpenCL/vendors})
         * @return why the backend and target cannot run here, or null when they can
         */
        static String unavailable(String backend, String target, String buildInformation, boolean openClDriver) {
            if (!BACKEND_TARGETS.get(backend).contains(target)) {
                return "backend " + backend + " does not run on target " + target;
            }
            String needs = BACKEND_BUILD.get(backend);
            if (needs != null && !buildInformation.matches("(?s).*\\n\\s*" + java.util.regex.Pattern.quote(needs) + "[^\\n]*:\\s*YES.*")) {
                return "this OpenCV build has no " + needs;
            }
            if (target.startsWith("opencl")) {
                if (!buildInformation.matches("(?s).*\\n\\s*OpenCL:\\s*YES.*")) {
                    return "this OpenCV build has no OpenCL";
                }
                if (!openClDriver) {
                    return "no OpenCL driver is installed";
                }
            }
            return null;
        }

        private void warmUp() {
            Mat blank = new Mat((int) inputSize.height, (int) inputSize.width, CvType.CV_8UC3, new Scalar(0, 0, 0));
            classify(blank);
            blank.release();
        }

        /** Runs the network on {@code image}; @return the number of scores, which are in {@link #scores} */
        int classify(Mat image) {
            Dnn.blobFromImageWithParams(image, blob, blobParameters);
            net.setInput(blob);
            if (bindingInternals) {
                long out = OpenCvBindingInternals.forward(net);
                try {
                    int type = OpenCvBindingInternals.type(out);
                    if (CvType.depth(type) != CvType.CV_32F) {
                        throw new UnsupportedOperationException("the network's output is " + CvType.typeToString(type) + ", not CV_32F");
                    }
                    int count = sizeScores(OpenCvBindingInternals.total(out));
                    if (count > 0) {
                        OpenCvBindingInternals.getFloats(out, origin(OpenCvBindingInternals.dims(out)), scores);
                    }
                    return count;
                } finally {
                    OpenCvBindingInternals.delete(out);
                }
            }
            Mat out = net.forward();
            try {
                int count = sizeScores(out.total());
                if (count > 0) {
                    out.get(origin(out.dims()), scores);
                }
                return count;
            } finally {
                out.release();
            }
        }

        @Override
        public void release() {
            blob.release(); // the network's native memory goes with its Net object
        }

        private int sizeScores(long total) {
            if (scores.length != total) {
                scores = new float[(int) total]; // once: the model's output size
            }
            return scores.length;
        }

        private int[] origin(int dims) {
            if (origin.length != dims) {
                origin = new int[dims]; // once: the model's output dimensions
            }
            return origin;
        }

        private static Scalar parseMean(String spec) {
            try {
                String[] p = Names.threeValues(spec);
                return new Scalar(Double.parseDouble(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("mean must be 'b,g,r', was '" + spec + "'");
            }
        }

        private static String firstLine(Exception e) {
            String m = String.valueOf(e.getMessage()).strip();
            int nl = m.indexOf('\n');
            return nl < 0 ? m : m.substring(0, nl);
        }
    }

    private final boolean bindingInternals;

    public DnnPipeline() {
        this(OpenCvBindingInternals.available());
    }

    /** @param bindingInternals take the output through the binding's internals (when this build has them) rather than the public API */
    DnnPipeline(boolean bindingInternals) {
        this.bindingInternals = bindingInternals && OpenCvBindingInternals.available();
    }

    @Activate
    void activate(Config c, BundleContext context) {
        start(c.name(), c.source(), name -> new Model(c, name, log, bindingInternals), context);
        OpenCvBindingInternals.warnWhenMissing(log, "dnn", c.name());
    }

    @Modified
    void modified(Config c, BundleContext context) {
        restart(c.name(), c.source(), name -> new Model(c, name, log, bindingInternals), context);
    }

    @Override
    public String kind() {
        return KIND_DNN;
    }

    @Override
    public String backend() {
        Model m = resources();
        return m == null ? "" : m.backendInUse;
    }

    @Override
    protected void process(Mat frame, long sequence, long stamp, VisionSample result) {
        Model m = resources();
        int count = m.classify(frame);
        int best = -1;
        float bestScore = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            if (m.scores[i] > bestScore) {
                bestScore = m.scores[i];
                best = i;
            }
        }
        boolean found = best >= 0 && bestScore >= m.minConfidence;
        result.set(sequence, stamp, System.nanoTime(), found, found ? best : -1, Double.NaN, Double.NaN, best >= 0 ? bestScore : 0);
        emit(result);
    }
}
