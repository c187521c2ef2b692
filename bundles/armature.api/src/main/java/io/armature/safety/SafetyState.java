package io.armature.safety;

/** What the supervisor allows. */
public enum SafetyState {
    /** every condition is healthy; actuators may move while their permit is fed */
    OK,
    /** a fault or an e-stop tripped the supervisor; actuators are safe until an explicit reset */
    TRIPPED
}
