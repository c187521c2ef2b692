package io.armature.hal;

import org.osgi.annotation.versioning.ProviderType;

/** An analog input (ADC channel), read in millivolts. */
@ProviderType
public interface AnalogInput extends Channel {

    /** @return the voltage at the input in millivolts, quantized to the converter's resolution */
    int readMillivolts();

    /** @return the full-scale input voltage in millivolts */
    int fullScaleMillivolts();
}
