package io.armature.recording.internal;

import java.io.IOException;
import java.util.Map;

import io.armature.kit.motion.Odometry;
import io.armature.mcap.McapRecord;
import io.armature.mcap.McapWriter;
import io.armature.motion.DriveGeometry;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;

/**
 * The robot's odometry beside its wheels, on {@code /odom} as nav_msgs/msg/Odometry: the two
 * wheel encoders' samples taken in time order (each stream through a queue of its own), the other
 * wheel brought to each sample's time, and integrated with the drive's kinematics
 * ({@link Odometry}) at every sample taken, and written at most at the configured rate (a pose
 * at each of two 1 kHz encoders' samples would be most of a recording). The
 * pose starts at the origin when the recording starts. Invalid samples are left out and counted.
 * Not thread-safe: the recorder's thread only.
 */
final class OdometryChannel {

    private final DriveGeometry drive;
    private final SampleReader<EncoderSample> left;
    private final SampleReader<EncoderSample> right;
    private final EncoderSample l = new EncoderSample();
    private final EncoderSample r = new EncoderSample();
    private boolean haveLeft;
    private boolean haveRight;
    private final Wheel leftWheel = new Wheel();
    private final Wheel rightWheel = new Wheel();
    private final Odometry odometry = new Odometry();
    private final byte[] frame;
    private final byte[] childFrame;
    private final int channel;
    private final long everyNanos;
    private long lastWritten = Long.MIN_VALUE;
    private final CdrWriter cdr = new CdrWriter();
    private volatile long written; // the recorder's thread writes, a status reads
    private long invalid;

    /** @param rateHz messages per second at most, above 0 */
    OdometryChannel(DriveGeometry drive, SampleStream<EncoderSample> left, SampleStream<EncoderSample> right, int queue, String frame,
            String childFrame, int channel, double rateHz) {
        this.everyNanos = (long) (1e9 / rateHz);
        this.drive = drive;
        this.left = left.openQueue(Math.min(queue, left.capacity()));
        this.right = right.openQueue(Math.min(queue, right.capacity()));
        this.frame = Ros2Messages.utf8(frame);
        this.childFrame = Ros2Messages.utf8(childFrame);
        this.channel = channel;
    }

    /** Adds the schema and the channel {@code /odom}. */
    void begin(McapWriter writer, int schema) throws IOException {
        writer.add(new McapRecord.Schema(schema, Ros2Messages.ODOMETRY_TYPE, "ros2msg", Ros2Messages.utf8(Ros2Messages.ODOMETRY_DEFINITION)));
        writer.add(new McapRecord.Channel(channel, schema, "/odom", "cdr", Map.of("offered_qos_profiles", McapRecorder.QOS_RELIABLE)));
    }

    /** A wheel's last sample taken. */
    private static final class Wheel {
        boolean seen;
        long time;
        double angle;
        double speed;

        void take(EncoderSample s) {
            seen = true;
            time = s.timestampNanos;
            angle = s.positionRadians;
            speed = s.velocityRadiansPerSecond;
        }

        /** @return how far from this wheel's last sample to {@code next} the time {@code at} is, 0..1 */
        double fraction(EncoderSample next, long at) {
            return next.timestampNanos == time ? 1.0 : (double) (at - time) / (next.timestampNanos - time);
        }
    }

    /**
     * Takes what both queues hold, the earlier sample first, while each has one: a sample of one
     * wheel is only taken once the other wheel's next one shows that nothing earlier is to come.
     * The other wheel's angle and speed at the taken sample's time are interpolated between its
     * last sample and that next one, so that both wheels are integrated at the same instant (two
     * encoders sampled apart would otherwise read as a turn).
     *
     * @return true when it wrote anything
     */
    boolean drain(McapWriter writer, long wallOffset) throws IOException {
        boolean any = false;
        while (true) {
            haveLeft = haveLeft || next(left, l);
            haveRight = haveRight || next(right, r);
            if (!haveLeft || !haveRight) {
                return any;
            }
            boolean takeLeft = l.timestampNanos <= r.timestampNanos;
            EncoderSample taken = takeLeft ? l : r;
            EncoderSample otherNext = takeLeft ? r : l;
            Wheel wheel = takeLeft ? leftWheel : rightWheel;
            Wheel other = takeLeft ? rightWheel : leftWheel;
            wheel.take(taken);
            if (takeLeft) {
                haveLeft = false;
            } else {
                haveRight = false;
            }
            if (!other.seen) {
                continue; // the pose starts once both wheels have a sample
            }
            long at = taken.timestampNanos;
            double f = other.fraction(otherNext, at);
            double otherAngle = other.angle + (otherNext.positionRadians - other.angle) * f;
            double otherSpeed = other.speed + (otherNext.velocityRadiansPerSecond - other.speed) * f;
            double leftAngle = takeLeft ? wheel.angle : otherAngle;
            double rightAngle = takeLeft ? otherAngle : wheel.angle;
            double leftSpeed = takeLeft ? wheel.speed : otherSpeed;
            double rightSpeed = takeLeft ? otherSpeed : wheel.speed;
            odometry.integrate(drive, leftAngle, rightAngle);
            if (lastWritten != Long.MIN_VALUE && at - lastWritten < everyNanos) {
                continue; // integrated; written at the configured rate
            }
            lastWritten = at;
            long epoch = at + wallOffset;
            Ros2Messages.odometry(epoch, frame, childFrame, odometry.x(), odometry.y(), odometry.heading(),
                    drive.linear(leftSpeed, rightSpeed), drive.angular(leftSpeed, rightSpeed), cdr);
            writer.addMessage(channel, written, epoch, epoch, cdr.array(), 0, cdr.length());
            written++;
            any = true;
        }
    }

    private boolean next(SampleReader<EncoderSample> reader, EncoderSample into) {
        while (reader.poll(into)) {
            if (into.valid) {
                return true;
            }
            invalid++;
        }
        return false;
    }

    long written() {
        return written;
    }

    long lost() {
        return left.lost() + right.lost();
    }

    long invalid() {
        return invalid;
    }

    void close() {
        left.close();
        right.close();
    }
}
