package io.armature.hal;

/** Which transitions of a digital input a listener wants. */
public enum Edge {
    /** low to high */
    RISING,
    /** high to low */
    FALLING,
    /** both transitions */
    BOTH;

    /** @return true when a transition to {@code newLevel} is one this edge selects */
    public boolean matches(boolean newLevel) {
        return this == BOTH || (this == RISING) == newLevel;
    }
}
