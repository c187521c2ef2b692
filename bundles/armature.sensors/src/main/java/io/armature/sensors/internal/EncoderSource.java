package io.armature.sensors.internal;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import io.armature.hal.Board;
import io.armature.hal.DigitalInput;
import io.armature.sensor.EncoderSample;
import io.armature.kit.sensor.EncoderEstimator;
import io.armature.kit.realtime.RealTimePriority;
import io.armature.kit.sensor.QuadratureDecoder;
import io.armature.kit.stream.BroadcastStream;

/**
 * A quadrature encoder on two digital inputs of any board (on the simulated rover,
 * {@code encoder.left.a}/{@code .b}), counted from their edges and sampled at a fixed rate into a
 * {@link BroadcastStream} of {@link EncoderSample}s: counts, wheel angle and velocity from edge
 * times over a window. A sample is flagged invalid, and counted, when edges were missed since the
 * last one, when the velocity is beyond the configured largest speed, or when it changed by more
 * than the configured largest acceleration allows in one sample.
 */
@Component(service = {}, immediate = true, configurationPid = EncoderSource.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = EncoderSource.Config.class, factory = true)
public final class EncoderSource {

    public static final String FACTORY_PID = "armature.sensors.encoder";

    @ObjectClassDefinition(name = "Armature quadrature encoder", description = "A quadrature encoder on two digital inputs, sampled into a stream.")
    public @interface Config {
        @AttributeDefinition(name = "Stream name", description = "Name of the stream, also the armature.stream service property.")
        String armature_stream() default "encoder";

        @AttributeDefinition(name = "Board filter", description = "LDAP filter selecting the board with the encoder inputs.")
        String board_target() default "(armature.board=sim)";

        @AttributeDefinition(name = "Input A", description = "Digital input channel of signal A.")
        String channelA();

        @AttributeDefinition(name = "Input B", description = "Digital input channel of signal B.")
        String channelB();

        @AttributeDefinition(name = "Counts per revolution", description = "Quadrature counts (4 per line) per wheel revolution, 1..10000000.")
        int countsPerRevolution() default 1440;

        @AttributeDefinition(name = "Inverted", description = "Count the other way round (an encoder mounted mirrored).")
        boolean inverted() default false;

        @AttributeDefinition(name = "Rate (Hz)", description = "Samples per second, 1..10000.")
        int rateHz() default 1000;

        @AttributeDefinition(name = "Velocity window (ms)", description = "Velocity is the counts over this window divided by the time between their edges, 1..100 ms.")
        int velocityWindowMillis() default 10;

        @AttributeDefinition(name = "Largest speed (rad/s)", description = "A faster velocity is out of range: flagged invalid.")
        double maxVelocity() default 100.0;

        @AttributeDefinition(name = "Largest acceleration (rad/s²)", description = "A bigger velocity change per sample is a spike: flagged invalid.")
        double maxAcceleration() default 5000.0;

        @AttributeDefinition(name = "Real-time priority", description = "SCHED_FIFO priority of the sampling thread, 1..99; 0 for none. "
                + "Below the loop engine's (80), so a loop that controls on this stream gets its sample on time and is never preempted by it.")
        int realTimePriority() default 79;
    }

    /** The decoder counting the inputs of one board. */
    private record Counter(Board board, QuadratureDecoder decoder) {
    }

    private final String channelA;
    private final String channelB;
    private final EncoderEstimator estimator;
    private final SampledStream<EncoderSample> source;
    private final BroadcastStream<EncoderSample> stream;
    private volatile Counter counter;
    // sampler thread
    private final long[] edge = new long[2];
    private QuadratureDecoder sampled;

    @Activate
    public EncoderSource(Config config, BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this(config, context, log, true);
    }

    /** For unit tests, which call {@link #sample(long)} themselves: no thread of its own. */
    EncoderSource(Config config, Board board, BundleContext context, boolean ownThread) {
        this(config, context, null, ownThread);
        bindBoard(board);
    }

    private EncoderSource(Config config, BundleContext context, Logger log, boolean ownThread) {
        String name = SampledStream.checkName(config.armature_stream());
        String what = "encoder '" + name + "': ";
        SampledStream.checkRate(what, config.rateHz(), 10_000);
        SampledStream.checkPriority(what, config.realTimePriority());
        if (config.countsPerRevolution() < 1 || config.countsPerRevolution() > 10_000_000) {
            throw new IllegalArgumentException(what + "countsPerRevolution must be 1..10000000, was " + config.countsPerRevolution());
        }
        if (config.velocityWindowMillis() < 1 || config.velocityWindowMillis() > 100) {
            throw new IllegalArgumentException(what + "velocityWindowMillis must be 1..100, was " + config.velocityWindowMillis());
        }
        if (!(config.maxVelocity() > 0) || Double.isInfinite(config.maxVelocity())) {
            throw new IllegalArgumentException(what + "maxVelocity must be finite and above 0, was " + config.maxVelocity());
        }
        if (!(config.maxAcceleration() > 0) || Double.isInfinite(config.maxAcceleration())) {
            throw new IllegalArgumentException(what + "maxAcceleration must be finite and above 0, was " + config.maxAcceleration());
        }
        if (config.channelA() == null || config.channelB() == null || config.channelA().equals(config.channelB())) {
            throw new IllegalArgumentException(what + "channelA and channelB must name two different digital inputs");
        }
        this.channelA = config.channelA();
        this.channelB = config.channelB();
        int window = (int) Math.max(1, Math.round(config.velocityWindowMillis() * config.rateHz() / 1000.0));
        this.estimator = new EncoderEstimator(config.countsPerRevolution(), config.inverted(), window, config.maxVelocity(),
                config.maxAcceleration() / config.rateHz());
        this.source = new SampledStream<>(name, config.rateHz(), EncoderSample::new, context, "armature-encoder-" + name,
                config.realTimePriority(), rt -> realTime(log, what, rt), this::sample);
        this.stream = source.stream();
        if (ownThread) {
            source.start(); // nothing is sampled until the board is bound, right after construction
        }
    }

    /** Says once, when sampling starts, whether the sampler runs at its real-time priority. */
    private static void realTime(Logger log, String what, RealTimePriority.Result rt) {
        if (log == null) {
            return;
        }
        if (rt.applied()) {
            log.info("{}sampling under {}", what, rt.message());
        } else {
            log.warn("{}sampling without real-time priority, so a loop controlling on it may read a late sample: {}", what, rt.message());
        }
    }

    /**
     * The board with the inputs. A replacement (a side-by-side update of the board's bundle) is
     * counted from the next sample on, without the stream going away: its consumers (a wheel
     * loop, the supervisor's watch) read on.
     */
    @Reference(name = "board", policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindBoard(Board board) {
        QuadratureDecoder decoder = new QuadratureDecoder(board.channel(channelA, DigitalInput.class), board.channel(channelB, DigitalInput.class));
        Counter old = counter;
        counter = new Counter(board, decoder);
        if (old != null) {
            old.decoder().close();
        }
    }

    void unbindBoard(Board board) {
        Counter c = counter;
        if (c != null && c.board() == board) {
            counter = null; // no replacement came first: the component stops with this board
            c.decoder().close();
        }
    }

    @Deactivate
    void deactivate() {
        source.end();
        Counter c = counter;
        if (c != null) {
            c.decoder().close();
        }
    }

    /** Samples the encoder once and publishes it. Package-private for tests that step it themselves. */
    void sample(long timestampNanos) {
        Counter c = counter;
        if (c == null) {
            return; // no board yet: nothing counted, nothing published
        }
        if (c.decoder() != sampled) {
            estimator.reset(); // a replaced board's decoder counts from 0: no velocity window spans the two
            sampled = c.decoder();
        }
        c.decoder().read(edge);
        estimator.estimate(edge[0], edge[1], c.decoder().errors(), timestampNanos, stream.claim());
        stream.publish();
    }

    BroadcastStream<EncoderSample> stream() {
        return stream;
    }
}
