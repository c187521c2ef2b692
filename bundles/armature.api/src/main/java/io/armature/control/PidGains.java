package io.armature.control;

/**
 * Gains of a PID controller with feed-forward. Output units are the loop's (for a wheel-speed
 * loop, the signed duty fraction -1..1); error units are the setpoint's (rad/s).
 *
 * @param kp proportional gain, output per unit of error, at least 0
 * @param ki integral gain, output per unit of error·second, at least 0
 * @param kd derivative gain, output per unit of error/second, at least 0
 * @param ks static feed-forward: output added in the direction of the setpoint to overcome
 *           friction, at least 0
 * @param kv velocity feed-forward: output per unit of setpoint, at least 0
 */
public record PidGains(double kp, double ki, double kd, double ks, double kv) {

    public PidGains {
        check("kp", kp);
        check("ki", ki);
        check("kd", kd);
        check("ks", ks);
        check("kv", kv);
    }

    /** @return gains without feed-forward */
    public static PidGains of(double kp, double ki, double kd) {
        return new PidGains(kp, ki, kd, 0, 0);
    }

    /** @return these gains with new kp, ki and kd and the same feed-forward */
    public PidGains withPid(double p, double i, double d) {
        return new PidGains(p, i, d, ks, kv);
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite number of at least 0, was " + v);
        }
    }
}
