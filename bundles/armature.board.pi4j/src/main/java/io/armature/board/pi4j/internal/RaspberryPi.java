package io.armature.board.pi4j.internal;

import java.util.List;

import io.armature.kit.board.DeviceTree;

/**
 * What this backend knows about the Raspberry Pi 4 and 5: the device-tree compatible strings it
 * drives, the BCM pins that carry hardware PWM and which PWM channel each one is.
 */
final class RaspberryPi {

    /** Device-tree {@code compatible} entries of the machines this backend drives. */
    static final List<String> COMPATIBLE = List.of(
            "raspberrypi,4-model-b", "raspberrypi,400", "raspberrypi,4-compute-module",
            "raspberrypi,5-model-b", "raspberrypi,500", "raspberrypi,5-compute-module");

    /** BCM pins with a hardware PWM function (PWM0 on the Pi 4, RP1's PWM0 on the Pi 5). */
    static final List<Integer> HARDWARE_PWM_PINS = List.of(12, 13, 18, 19);

    /** The highest BCM pin on the 40-pin header. */
    static final int MAX_BCM_PIN = 27;

    /** The SoC family: it decides the PWM chip and how pins map to PWM channels. */
    enum Generation {
        /** BCM2711: two PWM channels; pins 12 and 18 are channel 0, 13 and 19 channel 1; pwmchip0. */
        PI4(0),
        /** BCM2712 with RP1: four PWM channels, pins 12, 13, 18, 19 are channels 0..3; pwmchip2 on Bookworm. */
        PI5(2);

        final int defaultPwmChip;

        Generation(int defaultPwmChip) {
            this.defaultPwmChip = defaultPwmChip;
        }

        /** @return the sysfs PWM channel (pwmN under the chip) that a hardware PWM pin drives */
        int pwmChannel(int bcmPin) {
            return switch (bcmPin) {
                case 12 -> 0;
                case 13 -> 1;
                case 18 -> this == PI4 ? 0 : 2;
                case 19 -> this == PI4 ? 1 : 3;
                default -> throw new IllegalArgumentException(notPwm(bcmPin));
            };
        }
    }

    private RaspberryPi() {
    }

    static String notPwm(int bcmPin) {
        return "BCM pin " + bcmPin + " has no hardware PWM; use one of " + HARDWARE_PWM_PINS;
    }

    /** @return the generation the tree names; a tree that is not a Pi 5 counts as a Pi 4 */
    static Generation generation(DeviceTree tree) {
        if (tree != null && (tree.compatible().contains("brcm,bcm2712")
                || tree.isCompatibleWith(List.of("raspberrypi,5-model-b", "raspberrypi,500", "raspberrypi,5-compute-module")))) {
            return Generation.PI5;
        }
        return Generation.PI4;
    }
}
