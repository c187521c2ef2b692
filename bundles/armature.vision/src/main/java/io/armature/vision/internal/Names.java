package io.armature.vision.internal;

/** Checks of configured names and numbers, each failing with one line that says what was wrong. */
final class Names {

    private Names() {
    }

    /** @return the trimmed name: letters, digits, '.', '_' or '-' */
    static String require(String what, String value) {
        String v = value == null ? "" : value.trim();
        if (v.isEmpty() || !v.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException(what + " must be letters, digits, '.', '_' or '-', was '" + value + "'");
        }
        return v;
    }

    static int range(String what, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", was " + v);
        }
        return v;
    }

    static double range(String what, double v, double min, double max) {
        if (!(v >= min && v <= max)) { // also rejects NaN
            throw new IllegalArgumentException(what + " must be " + fmt(min) + ".." + fmt(max) + ", was " + v);
        }
        return v;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * Splits a setting of three comma-separated values ('b,g,r', 'h,s,v').
     *
     * @throws NumberFormatException when there are not three, for the caller to say what it wanted
     */
    static String[] threeValues(String spec) {
        String[] values = spec == null ? new String[0] : spec.trim().split("\\s*,\\s*");
        if (values.length != 3) {
            throw new NumberFormatException();
        }
        return values;
    }

    /** @return the value of the named {@code DICT_*} constant of OpenCV's Objdetect */
    static int arucoDictionary(String name) {
        String n = name == null ? "" : name.trim();
        if (!n.matches("DICT_[A-Z0-9_]+")) {
            throw new IllegalArgumentException("dictionary must be an ArUco dictionary such as DICT_4X4_50, was '" + name + "'");
        }
        try {
            return org.opencv.objdetect.Objdetect.class.getField(n).getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("dictionary must be an ArUco dictionary such as DICT_4X4_50, was '" + name + "'");
        }
    }
}
