package io.armature.hal;

/** The kind of a board channel. */
public enum ChannelType {
    /** A digital output: one bit, driven high or low. An actuator. */
    DIGITAL_OUTPUT(true),
    /** A digital input: one bit, read or watched for edges. */
    DIGITAL_INPUT(false),
    /** A PWM output: frequency in Hz and a normalized duty 0..65535. An actuator. */
    PWM(true),
    /** An analog input read in millivolts. */
    ADC(false),
    /** An I2C bus. */
    I2C(false),
    /** A UART (serial port). */
    UART(false);

    private final boolean actuator;

    ChannelType(boolean actuator) {
        this.actuator = actuator;
    }

    /** @return true when channels of this type move or switch something and so have a safe state */
    public boolean isActuator() {
        return actuator;
    }
}
