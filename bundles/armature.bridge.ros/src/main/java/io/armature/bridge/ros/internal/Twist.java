package io.armature.bridge.ros.internal;

import java.util.List;
import java.util.Map;

/**
 * A {@code geometry_msgs/Twist} a differential drive can follow: forward speed and yaw rate.
 *
 * @param linear  forward speed (linear.x), m/s
 * @param angular yaw rate (angular.z), rad/s, positive turns left
 */
record Twist(double linear, double angular) {

    private static final List<String> AXES = List.of("x", "y", "z");

    /**
     * Reads a Twist message. A vector or axis left out is 0, as ROS fills in defaults; the other
     * axes (linear.y/z, angular.x/y) are read and checked but a differential drive cannot follow
     * them, so they must be 0.
     *
     * @param maxLinear  the largest forward speed taken, m/s
     * @param maxAngular the largest yaw rate taken, rad/s
     * @throws IllegalArgumentException with a one-line reason naming the field: not an object, an
     *                                  unknown field, a value that is not a finite number, beyond
     *                                  the limits, or motion on an axis the robot does not have
     */
    static Twist parse(Object msg, double maxLinear, double maxAngular) {
        if (!(msg instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("a geometry_msgs/Twist must be an object {linear: {x, y, z}, angular: {x, y, z}}, was "
                    + JsonTree.show(msg));
        }
        double[] linear = new double[3];
        double[] angular = new double[3];
        for (Map.Entry<?, ?> e : m.entrySet()) {
            switch (String.valueOf(e.getKey())) {
                case "linear" -> vector("linear", e.getValue(), linear);
                case "angular" -> vector("angular", e.getValue(), angular);
                default -> throw new IllegalArgumentException("unknown field '" + e.getKey() + "' in geometry_msgs/Twist; it has linear and angular");
            }
        }
        if (linear[1] != 0 || linear[2] != 0 || angular[0] != 0 || angular[1] != 0) {
            throw new IllegalArgumentException("a differential drive moves only along linear.x and turns only about angular.z; "
                    + "linear.y, linear.z, angular.x, angular.y must be 0");
        }
        if (Math.abs(linear[0]) > maxLinear) {
            throw new IllegalArgumentException("linear.x " + linear[0] + " m/s is beyond the limit of " + maxLinear + " m/s");
        }
        if (Math.abs(angular[2]) > maxAngular) {
            throw new IllegalArgumentException("angular.z " + angular[2] + " rad/s is beyond the limit of " + maxAngular + " rad/s");
        }
        return new Twist(linear[0], angular[2]);
    }

    private static void vector(String name, Object value, double[] into) {
        if (!(value instanceof Map<?, ?> v)) {
            throw new IllegalArgumentException(name + " must be an object {x, y, z}, was " + JsonTree.show(value));
        }
        for (Map.Entry<?, ?> e : v.entrySet()) {
            int axis = AXES.indexOf(String.valueOf(e.getKey()));
            if (axis < 0) {
                throw new IllegalArgumentException("unknown field '" + name + "." + e.getKey() + "'; a Vector3 has x, y, z");
            }
            if (!(e.getValue() instanceof Double d) || !Double.isFinite(d)) {
                throw new IllegalArgumentException(name + "." + e.getKey() + " must be a finite number, was " + JsonTree.show(e.getValue()));
            }
            into[axis] = d;
        }
    }
}
