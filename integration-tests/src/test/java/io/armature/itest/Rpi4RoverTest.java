package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

import io.armature.hal.AnalogInput;
import io.armature.hal.Board;
import io.armature.hal.DigitalInput;
import io.armature.kit.board.DutyScale;
import io.armature.hal.Edge;
import io.armature.hal.I2cBus;
import io.armature.hal.PwmOutput;
import io.armature.hal.Registration;
import io.armature.safety.SafetySupervisor;

/**
 * The rpi4-rover feature booted from its built jar in a real Felix, on Pi4J's mock providers and
 * a fake Raspberry Pi 4 device tree: what an operator does reaches Pi4J's (mock) pins.
 */
class Rpi4RoverTest {

    @TempDir
    static Path tmp;

    private static FeatureRuntime robot;
    private static Board board;
    private static Object pi4j;

    /** Writes a fake device tree as Linux shows it: NUL-terminated strings. */
    static Path deviceTree(Path dir, String model, String... compatible) throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve("model"), (model + "\0").getBytes(StandardCharsets.US_ASCII));
        Files.write(dir.resolve("compatible"), (String.join("\0", compatible) + "\0").getBytes(StandardCharsets.US_ASCII));
        return dir;
    }

    static void set(Path cfg, String key, String value) throws Exception {
        FeatureRuntime.setConfig(cfg, key, value);
    }

    @BeforeAll
    static void boot() throws Exception {
        Path tree = deviceTree(tmp.resolve("pi4"), "Raspberry Pi 4 Model B Rev 1.4", "raspberrypi,4-model-b", "brcm,bcm2711");
        robot = FeatureRuntime.startReady("rpi4-rover", Map.of(), config -> {
            try {
                set(config.resolve("armature.board.pi4j.cfg"), "providers", "mock");
                set(config.resolve("armature.board.pi4j.cfg"), "deviceTreeRoot", tree.toString());
                // no watchdog device here, and no MPU-6050 answering on the mock bus at start
                set(config.resolve("armature.safety.cfg"), "watchdogDevice", "");
                set(config.resolve("armature.safety.cfg"), "watchedStreams", "");
                Files.move(config.resolve("armature.sensors.mpu6050-imu.cfg"), tmp.resolve("armature.sensors.mpu6050-imu.cfg"));
            } catch (Exception e) {
                throw new java.io.IOException(e);
            }
        });
        board = robot.service(Board.class, "(armature.board=pi4j)", 5_000);
        pi4j = robot.serviceObject("com.pi4j.context.Context", 5_000);
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
    }

    // Pi4J's classes live in the framework: reach the mock pins through its public interfaces.
    private static Class<?> pi4jClass(String bundle, String name) throws Exception {
        return robot.bundle(bundle).loadClass(name);
    }

    private static Object io(String id) throws Exception {
        Object registry = pi4jClass("pi4j-core", "com.pi4j.context.Context").getMethod("registry").invoke(pi4j);
        return pi4jClass("pi4j-core", "com.pi4j.registry.Registry").getMethod("get", String.class).invoke(registry, id);
    }

    private static float mockDutyPercent(String id) throws Exception {
        return (Float) pi4jClass("pi4j-core", "com.pi4j.io.pwm.Pwm").getMethod("getDutyCycle").invoke(io(id));
    }

    private static String mockOutputState(String id) throws Exception {
        return pi4jClass("pi4j-core", "com.pi4j.io.gpio.digital.DigitalOutput").getMethod("state").invoke(io(id)).toString();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void mockInput(String id, boolean high) throws Exception {
        Class state = pi4jClass("pi4j-core", "com.pi4j.io.gpio.digital.DigitalState");
        Method m = pi4jClass("armature.pi4j.plugin.mock", "com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInput").getMethod("mockState", state);
        m.invoke(io(id), Enum.valueOf(state, high ? "HIGH" : "LOW"));
    }

    /** The mock e-stop input reads low (pressed) at start: release it and reset, as an operator would. */
    private static void permitMotion() throws Exception {
        mockInput("estop-in", true);
        SafetySupervisor safety = robot.service(SafetySupervisor.class, null, 5_000);
        assertTrue(Poll.until(5_000, () -> {
            safety.reset("test");
            return safety.mayMove() && board.motionPermitted();
        }), robot.gogo("robot:status"));
    }

    @Test
    void theBoardIsThePiFromTheDeviceTreeWithItsChannels() throws Exception {
        assertEquals("Raspberry Pi 4 Model B Rev 1.4 (Pi4J mock providers)", board.info().model());
        ServiceReference<Board> ref = robot.context().getServiceReferences(Board.class, "(armature.board=pi4j)").iterator().next();
        List<String> compatible = Arrays.asList((String[]) ref.getProperty(Board.PROPERTY_COMPATIBLE));
        assertTrue(compatible.containsAll(List.of("raspberrypi,4-model-b", "raspberrypi,5-model-b")), compatible.toString());
        for (String c : List.of("motor.left.pwm", "motor.right.pwm", "motor.left.brake", "encoder.left.a", "estop.in", "i2c.1", "battery.sense")) {
            robot.service(io.armature.hal.Channel.class, "(&(armature.board=pi4j)(armature.channel=" + c + "))", 5_000);
        }
        // hal:list reads every input: give the (mock) ADS1115 a conversion result to return
        robot.service(I2cBus.class, "(&(armature.board=pi4j)(armature.channel=i2c.1))", 5_000)
                .writeRegister(0x48, 0x00, new byte[] {0x30, 0x00}, 0, 2);
        String list = robot.gogo("hal:list");
        assertTrue(list.contains("motor.left.pwm") && list.contains("battery.sense"), list);
    }

    @Test
    void aDutyFromTheShellReachesThePwmScaledToNanoseconds() throws Exception {
        permitMotion();
        String out = robot.gogo("hal:pwm motor.left.pwm 30000");
        assertFalse(out.contains("gogo:"), out);
        long period = 50_000; // 20 kHz
        long onNanos = Math.round((float) period * mockDutyPercent("motor-left-pwm") / 100f); // what LinuxFS writes to duty_cycle
        assertEquals(DutyScale.toNanos(30000, period), onNanos);
        robot.gogo("hal:pwm motor.left.pwm 0");
        assertEquals(0f, mockDutyPercent("motor-left-pwm"));
    }

    @Test
    void anEdgeOnAnInputReachesAnEdgeListener() throws Exception {
        DigitalInput a = robot.service(DigitalInput.class, "(&(armature.board=pi4j)(armature.channel=encoder.left.a))", 5_000);
        List<String> edges = new CopyOnWriteArrayList<>();
        List<Long> stamps = new CopyOnWriteArrayList<>();
        try (Registration r = a.onEdge(Edge.RISING, (channel, level, t) -> {
            edges.add(channel + " " + level);
            stamps.add(t);
        })) {
            mockInput("encoder-left-a", false);
            long before = System.nanoTime();
            mockInput("encoder-left-a", true);
            long after = System.nanoTime();
            assertEquals(List.of("encoder.left.a true"), edges);
            assertTrue(stamps.get(0) >= before && stamps.get(0) <= after, "stamped on the monotonic clock when it happened");
            assertTrue(a.read());
        }
    }

    @Test
    void anEstopDrivesTheOutputsSafe() throws Exception {
        permitMotion();
        robot.gogo("hal:gpio motor.right.brake 0");
        robot.gogo("hal:pwm motor.right.pwm 20000");
        assertEquals("LOW", mockOutputState("motor-right-brake"));
        assertTrue(mockDutyPercent("motor-right-pwm") > 0);
        robot.gogo("robot:estop test");
        assertEquals("HIGH", mockOutputState("motor-right-brake"), "brake on");
        assertEquals(0f, mockDutyPercent("motor-right-pwm"));
        assertFalse(board.motionPermitted());
        robot.gogo("hal:pwm motor.right.pwm 20000");
        assertEquals(0f, mockDutyPercent("motor-right-pwm"), "no permit, no motion");
        assertTrue(board.refusedWrites() > 0);
    }

    @Test
    void anAds1115InputReadsMillivolts() throws Exception {
        I2cBus bus = robot.service(I2cBus.class, "(&(armature.board=pi4j)(armature.channel=i2c.1))", 5_000);
        // Pi4J's mock I2C device queues what is written to a register: put a conversion result
        // of 0x3000 (12288 codes) where the ADS1115 driver will read it
        bus.writeRegister(0x48, 0x00, new byte[] {0x30, 0x00}, 0, 2);
        AnalogInput battery = robot.service(AnalogInput.class, "(armature.channel=battery.sense)", 5_000);
        assertEquals(1536, battery.readMillivolts(), "12288 * 4096 mV / 32768");
    }

    @Test
    void theMpu6050SourceWorksOverThePiI2cBus() throws Exception {
        I2cBus bus = robot.service(I2cBus.class, "(&(armature.board=pi4j)(armature.channel=i2c.1))", 5_000);
        bus.writeRegister(0x68, 0x75, new byte[] {0x68}, 0, 1); // WHO_AM_I answers 0x68
        Files.copy(tmp.resolve("armature.sensors.mpu6050-imu.cfg"), robot.configDir().resolve("armature.sensors.mpu6050-imu.cfg"));
        Object stream = robot.serviceObject("io.armature.sensor.SampleStream", 10_000);
        // the shell's stream list binds the new service on its own, a moment after it is registered
        assertTrue(Poll.until(5_000, () -> robot.gogo("robot:streams").contains("imu")), robot.gogo("robot:streams"));
        assertTrue(stream != null);
        Bundle sensors = robot.bundle("armature.sensors");
        assertEquals(Bundle.ACTIVE, sensors.getState());
    }
}
