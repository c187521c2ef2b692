package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;

import io.armature.board.jetson.fake.FakeSysfsPwmTree;
import io.armature.board.jetson.fake.GpioKernelSim;
import io.armature.board.jetson.gpio.GpioDriver;
import io.armature.hal.Board;
import io.armature.hal.PwmOutput;

/**
 * The jetson-vision feature, booted from its built jar in a real Felix on a fake Jetson Orin
 * Nano: a device tree, a sysfs PWM tree that behaves as the kernel's, and GPIO chips modelled in
 * memory (there is no GPIO character device here), selected through the board's
 * {@code gpioDriver.target} as any other driver would be.
 */
class JetsonVisionTest {

    private static final String BOARD_CFG = "armature.board.jetson.cfg";
    private static Path machine;
    private static FakeSysfsPwmTree sysfs;
    private static final GpioKernelSim GPIO = new GpioKernelSim();
    private static FeatureRuntime robot;

    @BeforeAll
    static void boot() throws Exception {
        machine = Files.createTempDirectory("armature-orin-nano-");
        Path dt = Files.createDirectories(machine.resolve("device-tree"));
        Files.write(dt.resolve("model"), "NVIDIA Jetson Orin Nano Developer Kit\0".getBytes(StandardCharsets.US_ASCII));
        Files.write(dt.resolve("compatible"), "nvidia,p3768-0000+p3767-0005\0nvidia,p3767-0005\0nvidia,tegra234\0"
                .getBytes(StandardCharsets.US_ASCII));
        Path dev = Files.createDirectories(machine.resolve("dev"));
        Files.writeString(dev.resolve("gpiochip0"), "");
        Files.writeString(dev.resolve("gpiochip1"), "");
        GPIO.addChip("gpiochip0", "tegra234-gpio", 164);
        GPIO.addChip("gpiochip1", "tegra234-gpio-aon", 32);
        GPIO.drive("gpiochip0", 51, true); // estop.in (pin 40) is active low: released
        sysfs = new FakeSysfsPwmTree(Files.createDirectories(machine.resolve("sys")));
        sysfs.addChip(0, "3280000.pwm", 1);
        sysfs.addChip(2, "32c0000.pwm", 1);
        sysfs.addChip(3, "32e0000.pwm", 1);

        robot = FeatureRuntime.start("jetson-vision", Map.of(
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, FeatureRuntime.API_PACKAGES + ",io.armature.board.jetson.gpio;version=1.0.0",
                "armature.devicetree.root", dt.toString()), configDir -> {
                    Path cfg = configDir.resolve(BOARD_CFG);
                    String text = Files.readString(cfg)
                            .replace("deviceTreeRoot=/proc/device-tree", "deviceTreeRoot=" + dt)
                            .replace("sysfsRoot=/sys", "sysfsRoot=" + machine.resolve("sys"))
                            .replace("devRoot=/dev", "devRoot=" + dev)
                            .replace("(armature.gpio.driver=chardev)", "(armature.gpio.driver=sim)");
                    Files.writeString(cfg, text);
                });
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(GpioDriver.PROPERTY_DRIVER, "sim");
        robot.context().registerService(GpioDriver.class, GPIO, props);
        if (!Poll.until(30_000, () -> robot.console().contains("Armature jetson-vision ready"))) {
            throw new AssertionError("jetson-vision did not report ready; console:\n" + robot.console() + robot.gogo("scr:list"));
        }
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
        sysfs.close();
        try (Stream<Path> files = Files.walk(machine)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theBoardComesUpOnTheOrinNanoHeaderAndNamesTheMachine() throws Exception {
        Board board = robot.service(Board.class, "(armature.board=jetson)", 5_000);
        assertEquals("NVIDIA Jetson Orin Nano Developer Kit", board.info().model());
        assertEquals("jetson", board.info().backend());
        assertEquals(12, board.channels().size());
        assertTrue(robot.console().contains("Armature machine: NVIDIA Jetson Orin Nano Developer Kit (compatible: nvidia,p3768-0000+p3767-0005"),
                robot.console());
        assertTrue(!robot.console().contains("no installed board backend"), "the Jetson backend fits this machine");
        assertEquals("armature:motor.left.brake", GPIO.consumer("gpiochip0", 53), "pin 35 is line 53 of tegra234-gpio");
        assertTrue(GPIO.level("gpiochip0", 53), "brake on");
        robot.service(PwmOutput.class, "(&(armature.board=jetson)(armature.channel=motor.right.pwm))", 5_000);
        assertTrue(robot.gogo("hal:list").contains("motor.left.pwm"));
    }

    @Test
    void aDutyReachesTheSysfsTreeAndAnEstopTakesItAway() throws Exception {
        assertTrue(Poll.until(5_000, () -> "0".equals(sysfs.attribute(2, 0, "duty_cycle"))), "exported and at duty 0");
        assertEquals("50000", sysfs.attribute(2, 0, "period"), "20 kHz");
        assertEquals("1", sysfs.attribute(2, 0, "enable"));
        robot.gogo("hal:pwm motor.left.pwm 32768");
        assertTrue(Poll.until(2_000, () -> "25000".equals(sysfs.attribute(2, 0, "duty_cycle"))),
                "duty_cycle " + sysfs.attribute(2, 0, "duty_cycle"));
        robot.gogo("hal:gpio motor.left.brake 0");
        assertTrue(!GPIO.level("gpiochip0", 53), "brake released");

        robot.gogo("robot:estop test");
        assertTrue(Poll.until(1_000, () -> "0".equals(sysfs.attribute(2, 0, "duty_cycle"))), "the trip stops the motor");
        assertTrue(GPIO.level("gpiochip0", 53), "and brakes it");
        String refused = robot.gogo("hal:pwm motor.left.pwm 32768");
        Thread.sleep(50);
        assertEquals("0", sysfs.attribute(2, 0, "duty_cycle"), "no permit while tripped: " + refused);
        robot.gogo("robot:reset");
        assertEquals(List.of(), sysfs.violations(), "nothing the kernel would have refused");
    }

    @Test
    void aBadPinIsRefusedWithOneLineAndTheBoardKeepsRunning() throws Exception {
        Path cfg = robot.configDir().resolve(BOARD_CFG);
        String good = Files.readString(cfg);
        Files.writeString(cfg, good.replace("pwm=motor.left.pwm=33,", "pwm=motor.left.pwm=12,"));
        String expected = "pwm entry 'motor.left.pwm=12': 12 is not a PWM pin of the Jetson Orin Nano developer kit 40-pin header; "
                + "PWM pins: 15, 32, 33";
        assertTrue(Poll.until(5_000, () -> robot.console().contains(expected)), robot.console());
        String line = robot.console().lines().filter(l -> l.contains(expected)).findFirst().orElseThrow();
        assertTrue(line.startsWith("[armature] ERROR"), line);
        Board board = robot.service(Board.class, "(armature.board=jetson)", 1_000);
        assertEquals("header pin 33 (GPIO13 / PH.00)", board.info().channel("motor.left.pwm").orElseThrow().description().substring(7));
        Files.writeString(cfg, good);
    }
}
