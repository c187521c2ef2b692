package io.armature.bridge.ros.internal;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import io.armature.motion.CommandSource;
import io.armature.motion.DriveGeometry;
import io.armature.motion.MotionCommands;

/** A motion-command service that keeps what it is told; {@link #refusal} makes it refuse as the real one does. */
final class FakeMotion implements MotionCommands {
    /** each twist taken: source, linear, angular */
    final List<String> twists = new CopyOnWriteArrayList<>();
    final List<String> released = new CopyOnWriteArrayList<>();
    volatile RuntimeException refusal;
    volatile boolean inForce = true;
    final DriveGeometry geometry = new DriveGeometry("left", "right", 0.04, 0.20);

    @Override
    public boolean setpoint(String source, String loop, double value) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean twist(String source, double linear, double angular) {
        if (refusal != null) {
            throw refusal;
        }
        twists.add(source + " " + linear + " " + angular);
        return inForce;
    }

    @Override
    public void release(String source) {
        released.add(source);
    }

    @Override
    public String estop(String source, String reason) {
        return "e-stop";
    }

    @Override
    public void reset(String source) {
        throw new SecurityException("no reset rights");
    }

    @Override
    public List<CommandSource> sources() {
        return List.of(new CommandSource("rosbridge", 20, 500, false), new CommandSource("foxglove", 20, 500, false));
    }

    @Override
    public Optional<String> owner(String loop) {
        return Optional.of("web");
    }

    @Override
    public DriveGeometry geometry() {
        return geometry;
    }
}
