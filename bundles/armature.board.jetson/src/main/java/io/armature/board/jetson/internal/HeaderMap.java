package io.armature.board.jetson.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The 40-pin expansion header of the Jetson Orin Nano developer kit (carrier board P3768 with an
 * Orin Nano or Orin NX module, P3767; the P3509 carrier has the same header). Each GPIO-capable
 * pin names the line on its GPIO controller (all on {@code tegra234-gpio}, the main controller;
 * the always-on controller {@code tegra234-gpio-aon} serves none of them), and the three pins
 * that can be PWM outputs name their PWM controller and channel. The offsets and controllers are
 * those of NVIDIA's Jetson.GPIO pin tables for JetPack 6 (Linux 5.15).
 *
 * <p>A pin's PWM function must be enabled in the pinmux first (NVIDIA's {@code jetson-io.py}); a
 * controller without a {@code pwmchip} under {@code /sys/class/pwm} is reported, not guessed.
 */
final class HeaderMap {

    /** Device-tree compatible entries of the machines this map fits: Orin Nano and Orin NX on the developer kit carriers. */
    static final List<String> COMPATIBLE = List.of(
            "nvidia,p3768-0000+p3767-0003", "nvidia,p3768-0000+p3767-0004", "nvidia,p3768-0000+p3767-0005",
            "nvidia,p3509-0000+p3767-0003", "nvidia,p3509-0000+p3767-0004", "nvidia,p3509-0000+p3767-0005",
            "nvidia,p3768-0000+p3767-0000", "nvidia,p3768-0000+p3767-0001",
            "nvidia,p3509-0000+p3767-0000", "nvidia,p3509-0000+p3767-0001");

    static final String NAME = "Jetson Orin Nano developer kit 40-pin header";
    static final String GPIO_CONTROLLER = "tegra234-gpio";
    /** The Tegra PWM controller's duty register is 8 bits wide (Linux drivers/pwm/pwm-tegra.c). */
    static final int PWM_BITS = 8;

    /**
     * @param number        the header pin, 1..40
     * @param signal        the carrier board's signal name and the SoC port, for messages
     * @param line          the line offset on {@link #GPIO_CONTROLLER}
     * @param pwmController the PWM controller's device name, or null when the pin has no PWM
     * @param pwmChannel    the channel on that controller
     */
    record Pin(int number, String signal, int line, String pwmController, int pwmChannel) {
        boolean hasPwm() {
            return pwmController != null;
        }
    }

    private static final Map<Integer, Pin> PINS = new TreeMap<>();

    static {
        gpio(7, "GPIO09 / PAC.06", 144);
        gpio(11, "UART1_RTS / PR.04", 112);
        gpio(12, "I2S0_SCLK / PH.07", 50);
        gpio(13, "SPI1_SCK / PY.00", 122);
        pwm(15, "GPIO12 / PN.01", 85, "3280000.pwm", 0);
        gpio(16, "SPI1_CS1 / PY.04", 126);
        gpio(18, "SPI1_CS0 / PY.03", 125);
        gpio(19, "SPI0_MOSI / PZ.05", 135);
        gpio(21, "SPI0_MISO / PZ.04", 134);
        gpio(22, "SPI1_MISO / PY.01", 123);
        gpio(23, "SPI0_SCK / PZ.03", 133);
        gpio(24, "SPI0_CS0 / PZ.06", 136);
        gpio(26, "SPI0_CS1 / PZ.07", 137);
        gpio(29, "GPIO01 / PQ.05", 105);
        gpio(31, "GPIO11 / PQ.06", 106);
        pwm(32, "GPIO07 / PG.06", 41, "32e0000.pwm", 0);
        pwm(33, "GPIO13 / PH.00", 43, "32c0000.pwm", 0);
        gpio(35, "I2S0_FS / PI.02", 53);
        gpio(36, "UART1_CTS / PR.05", 113);
        gpio(37, "SPI1_MOSI / PY.02", 124);
        gpio(38, "I2S0_SDIN / PI.01", 52);
        gpio(40, "I2S0_SDOUT / PI.00", 51);
    }

    private static void gpio(int number, String signal, int line) {
        PINS.put(number, new Pin(number, signal, line, null, 0));
    }

    private static void pwm(int number, String signal, int line, String controller, int channel) {
        PINS.put(number, new Pin(number, signal, line, controller, channel));
    }

    private HeaderMap() {
    }

    static Optional<Pin> pin(int number) {
        return Optional.ofNullable(PINS.get(number));
    }

    /** @return the header pins that can be GPIO, ascending */
    static List<Integer> gpioPins() {
        return List.copyOf(PINS.keySet());
    }

    /** @return the header pins that can be PWM outputs, ascending */
    static List<Integer> pwmPins() {
        List<Integer> out = new ArrayList<>();
        for (Pin p : PINS.values()) {
            if (p.hasPwm()) {
                out.add(p.number());
            }
        }
        return out;
    }
}
