package io.armature.board.pi4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.log.Logger;

import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInput;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalOutput;
import com.pi4j.plugin.mock.provider.pwm.MockPwm;

import io.armature.hal.AnalogInput;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.kit.board.DutyScale;
import io.armature.hal.Edge;
import io.armature.hal.I2cBus;
import io.armature.hal.PwmOutput;
import io.armature.testing.ComponentConfigs;

class Pi4jBoardTest {

    @TempDir
    Path tmp;

    private final Pi4jBoard board = new Pi4jBoard();

    private Path tree(String model, String... compatible) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("dt-" + model.hashCode()));
        Files.write(root.resolve("model"), (model + "\0").getBytes(StandardCharsets.US_ASCII));
        Files.write(root.resolve("compatible"), (String.join("\0", compatible) + "\0").getBytes(StandardCharsets.US_ASCII));
        return root;
    }

    private Path pi4() throws IOException {
        return tree("Raspberry Pi 4 Model B Rev 1.4", "raspberrypi,4-model-b", "brcm,bcm2711");
    }

    private Pi4jBoard.Config config(Path treeRoot, Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        m.put("providers", "mock");
        m.put("deviceTreeRoot", treeRoot.toString());
        m.put("pwm", new String[] {"motor.left.pwm:12, motor.right.pwm:13"});
        m.put("outputs", new String[] {"motor.left.dir:5:low, motor.left.brake:6:high"});
        m.put("inputs", new String[] {"encoder.left.a:17:off, estop.in:4:up:5000"});
        m.put("i2cBuses", new String[] {"i2c.1:1"});
        m.put("ads1115", new String[] {"battery.sense:i2c.1:0x48:0:4096"});
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return ComponentConfigs.of(Pi4jBoard.Config.class, m);
    }

    @AfterEach
    void stop() {
        if (board.info() != null) {
            board.deactivate();
        }
    }

    private MockPwm mockPwm(String channel) {
        return (MockPwm) board.pi4j().registry().get(channel.replace('.', '-'));
    }

    private MockDigitalOutput mockOutput(String channel) {
        return (MockDigitalOutput) board.pi4j().registry().get(channel.replace('.', '-'));
    }

    /** Feeds the motion permit for a minute, as a supervisor would: a supervised board moves only while fed. */
    private void permit() {
        board.permitMotion(System.nanoTime() + 60_000_000_000L);
    }

    private static Logger logger(List<String> logged) {
        return io.armature.testing.RecordingLogger.into(logged);
    }

    @Test
    void theBoardNamesThePiFromItsDeviceTreeAndListsItsChannels() throws IOException {
        board.activate(config(pi4()), null);
        assertEquals("Raspberry Pi 4 Model B Rev 1.4 (Pi4J mock providers)", board.info().model());
        assertEquals("pi4j", board.info().backend());
        assertEquals(List.of("motor.left.pwm", "motor.right.pwm", "motor.left.dir", "motor.left.brake", "encoder.left.a", "estop.in", "i2c.1",
                "battery.sense"), board.info().channels().stream().map(c -> c.name()).toList());
        assertEquals(15, board.info().channel("motor.left.pwm").orElseThrow().resolutionBits(), "50000 ns period at 20 kHz");
    }

    @Test
    void aDutyReachesThePwmAsTheOnTimeDutyScaleGives() throws IOException {
        board.activate(config(pi4()), null);
        permit();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        MockPwm mock = mockPwm("motor.left.pwm");
        long period = 50_000;
        for (int duty : new int[] {0, 1, 2, 32768, 40000, 65534, 65535}) {
            pwm.setDuty(duty);
            long onNanos = Math.round((float) period * mock.getDutyCycle() / 100f); // what LinuxFS writes to duty_cycle
            assertEquals(DutyScale.toNanos(duty, period), onNanos, "duty " + duty);
            assertEquals(20_000, mock.getFrequency());
        }
        pwm.setDuty(0);
        assertEquals(0f, mock.getDutyCycle(), "0 stays 0");
        assertTrue(mock.isOn(), "duty 0 is written as 0 ns, not by disabling the PWM");
        pwm.setDuty(65535);
        assertEquals(100f, mock.getDutyCycle(), "full stays full");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pwm.setDuty(70000));
        assertEquals("duty for motor.left.pwm must be 0..65535, was 70000; kept 65535", e.getMessage());
        assertEquals(100f, mock.getDutyCycle());
        pwm.setFrequency(1000);
        assertEquals(1000, mock.getFrequency());
        assertEquals(100f, mock.getDutyCycle());
        assertEquals(16, pwm.info().resolutionBits(), "10^6 ns steps in a 1 ms period, but the duty itself has 16 bits");
    }

    @Test
    void pwmOnAPinWithoutHardwarePwmIsRefusedWithTheValidPins() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> board.activate(config(pi4(), "pwm", new String[] {"motor.left.pwm:17"}), null));
        assertEquals("pwm 'motor.left.pwm:17': BCM pin 17 has no hardware PWM; use one of [12, 13, 18, 19]", e.getMessage());
    }

    @Test
    void twoPwmPinsOnOnePi4ChannelAreRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> board.activate(config(pi4(), "pwm", new String[] {"a:12, b:18"}), null));
        assertTrue(e.getMessage().startsWith("pwm b on BCM 18 is PWM channel 0, as a is"), e.getMessage());
        // on a Pi 5 the four pins are four channels
        board.activate(config(tree("Raspberry Pi 5 Model B Rev 1.0", "raspberrypi,5-model-b", "brcm,bcm2712"), "pwm", new String[] {"a:12, b:18"}), null);
        assertTrue(board.info().channel("b").orElseThrow().description().contains("PWM channel 2, chip 2"));
    }

    @Test
    void aPinUsedTwiceIsRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> board.activate(config(pi4(), "outputs", new String[] {"led:12:low"}), null));
        assertEquals("BCM pin 12 of led is already used by motor.left.pwm", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> board.activate(config(pi4(), "outputs", new String[] {"led:2:low"}), null));
        assertEquals("BCM pin 2 of led is already used by i2c.1 (SDA)", e.getMessage());
    }

    @Test
    void outputsStartAtTheirSafeLevel() throws IOException {
        board.activate(config(pi4()), null);
        MockDigitalOutput brake = (MockDigitalOutput) board.pi4j().registry().get("motor-left-brake");
        MockDigitalOutput dir = (MockDigitalOutput) board.pi4j().registry().get("motor-left-dir");
        assertEquals(DigitalState.HIGH, brake.state());
        assertEquals(DigitalState.LOW, dir.state());
        permit();
        board.channel("motor.left.dir", DigitalOutput.class).set(true);
        assertEquals(DigitalState.HIGH, dir.state());
    }

    @Test
    void revokingMotionDrivesEveryActuatorSafeAndRefusesMovingWrites() throws IOException {
        board.activate(config(pi4()), null);
        board.permitMotion(System.nanoTime() + 10_000_000_000L);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        pwm.setDuty(30000);
        brake.set(false);
        board.revokeMotion();
        assertEquals(0f, mockPwm("motor.left.pwm").getDutyCycle());
        assertEquals(DigitalState.HIGH, ((MockDigitalOutput) board.pi4j().registry().get("motor-left-brake")).state());
        pwm.setDuty(30000);
        brake.set(false);
        assertEquals(0, pwm.duty());
        assertTrue(brake.get());
        assertEquals(2, board.refusedWrites());
        brake.set(true); // a write to the safe level is always allowed
        assertEquals(2, board.refusedWrites());
    }

    @Test
    void aLapsedPermitDrivesTheActuatorsSafeByItself() throws Exception {
        board.activate(config(pi4()), null);
        board.permitMotion(System.nanoTime() + 50_000_000L);
        board.channel("motor.left.pwm", PwmOutput.class).setDuty(30000);
        assertTrue(mockPwm("motor.left.pwm").getDutyCycle() > 0);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (mockPwm("motor.left.pwm").getDutyCycle() != 0f && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0f, mockPwm("motor.left.pwm").getDutyCycle());
        assertFalse(board.motionPermitted());
        assertEquals(1, board.permitLapses());
    }

    @Test
    void edgesReachListenersWithMonotonicTimestampsAndBouncesAreDropped() throws IOException {
        board.activate(config(pi4()), null);
        List<String> seen = new CopyOnWriteArrayList<>();
        List<Long> times = new ArrayList<>();
        board.channel("encoder.left.a", DigitalInput.class).onEdge(Edge.BOTH, (ch, level, t) -> {
            seen.add(ch + "=" + level);
            times.add(t);
        });
        MockDigitalInput a = (MockDigitalInput) board.pi4j().registry().get("encoder-left-a");
        long before = System.nanoTime();
        a.mockState(DigitalState.HIGH);
        a.mockState(DigitalState.LOW);
        long after = System.nanoTime();
        assertEquals(List.of("encoder.left.a=true", "encoder.left.a=false"), seen);
        assertTrue(before <= times.get(0) && times.get(0) <= times.get(1) && times.get(1) <= after);
        assertFalse(board.channel("encoder.left.a", DigitalInput.class).read());

        List<Boolean> estop = new CopyOnWriteArrayList<>();
        board.channel("estop.in", DigitalInput.class).onEdge(Edge.BOTH, (ch, level, t) -> estop.add(level));
        MockDigitalInput e = (MockDigitalInput) board.pi4j().registry().get("estop-in");
        e.mockState(DigitalState.HIGH);
        e.mockState(DigitalState.LOW); // within the 5 ms debounce: bounce
        e.mockState(DigitalState.HIGH);
        assertEquals(List.of(true), estop);
    }

    @Test
    void theI2cBusCarriesRegisterReadsAndWritesAndShortReadsAreErrors() throws IOException {
        board.activate(config(pi4()), null);
        I2cBus bus = board.channel("i2c.1", I2cBus.class);
        // Pi4J's mock I2C device keeps a queue per register: what is written is read back
        bus.writeRegister(0x68, 0x75, new byte[] {0x68}, 0, 1);
        byte[] b = new byte[1];
        bus.readRegister(0x68, 0x75, b, 0, 1);
        assertEquals(0x68, b[0]);
        IOException e = assertThrows(IOException.class, () -> bus.readRegister(0x68, 0x3B, new byte[14], 0, 14));
        assertEquals("i2c.1: device 0x68 returned 0 of 14 bytes from register 0x3B", e.getMessage());
    }

    @Test
    void anAds1115InputReadsMillivoltsOverTheBus() throws IOException {
        board.activate(config(pi4()), null);
        I2cBus bus = board.channel("i2c.1", I2cBus.class);
        // play the chip on the mock: the conversion register holds 0x4000 (half of +full scale)
        bus.writeRegister(0x48, Ads1115.REG_CONVERSION, new byte[] {0x40, 0x00}, 0, 2);
        AnalogInput battery = board.channel("battery.sense", AnalogInput.class);
        assertEquals(2048, battery.readMillivolts());
        assertEquals(4096, battery.fullScaleMillivolts());
        assertEquals(16, battery.info().resolutionBits());
    }

    @Test
    void realProvidersOnAMachineThatIsNotAPiAreRefusedInOneLine() throws IOException {
        Path pc = tree("Generic x86 board", "acme,pc");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> board.activate(config(pc, "providers", "linux"), null));
        assertTrue(e.getMessage().startsWith("this machine is not a Raspberry Pi 4 or 5 (device tree: Generic x86 board, compatible [acme,pc])"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        e = assertThrows(IllegalStateException.class, () -> board.activate(config(tmp.resolve("none"), "providers", "linux"), null));
        assertTrue(e.getMessage().contains("no device tree at"), e.getMessage());
    }

    @Test
    void badConfigurationIsRefusedAndThePreviousStaysInForce() throws IOException {
        Path root = pi4();
        board.activate(config(root), null);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> board.modified(config(root, "inputs", new String[] {"x:40:up"})));
        assertEquals("inputs 'x:40:up': 40 must be 0..27", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> board.modified(config(root, "providers", "linux")));
        permit();
        pwm.setDuty(1000);
        assertEquals(1000, pwm.duty());
        assertEquals(8, board.info().channels().size());

        board.modified(config(root, "pwmFrequencyHz", 1000.0));
        assertEquals(1000.0, pwm.frequency(), "a new frequency applies in place");
        board.modified(config(root, "outputs", new String[] {"led.status:16:low"}));
        assertTrue(board.info().channel("led.status").isPresent());
        assertFalse(board.info().channel("motor.left.dir").isPresent());
    }

    @Test
    void deactivateDrivesEverythingSafe() throws IOException {
        board.activate(config(pi4()), null);
        permit();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        MockPwm mock = mockPwm("motor.left.pwm");
        pwm.setDuty(50000);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        brake.set(false);
        assertTrue(mock.getDutyCycle() > 0 && !brake.get(), "moving before the stop");
        board.deactivate();
        assertEquals(0f, mock.getDutyCycle());
        assertTrue(brake.get());
        assertThrows(IllegalStateException.class, () -> pwm.setDuty(100));
    }

    @Test
    void aBoardThatNoSupervisorFedRefusesMotion() throws Exception {
        List<String> logged = new CopyOnWriteArrayList<>();
        board.setLogger(logger(logged));
        board.activate(config(pi4()), null);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        DigitalOutput dir = board.channel("motor.left.dir", DigitalOutput.class);
        assertFalse(board.motionPermitted(), "fail-closed: no feed, no motion");
        pwm.setDuty(30000);
        brake.set(false);
        dir.set(true);
        assertEquals(0, pwm.duty());
        assertEquals(0f, mockPwm("motor.left.pwm").getDutyCycle(), "the pin never left duty 0");
        assertEquals(DigitalState.HIGH, mockOutput("motor.left.brake").state(), "the brake stays on");
        assertEquals(DigitalState.LOW, mockOutput("motor.left.dir").state());
        assertEquals(3, board.refusedWrites());
        pwm.setDuty(0); // safe writes are always allowed, and not counted
        brake.set(true);
        assertEquals(3, board.refusedWrites());
        Thread.sleep(20);
        assertEquals(0, board.permitLapses(), "nothing left its safe state, so the watcher had nothing to do");
        assertTrue(logged.stream().noneMatch(l -> l.startsWith("WARN")), logged.toString());
    }

    @Test
    void anUnsupervisedBoardMovesBeforeTheFirstFeedAndIsArmedByARevoke() throws IOException {
        List<String> logged = new CopyOnWriteArrayList<>();
        board.setLogger(logger(logged));
        Path root = pi4();
        board.activate(config(root, "unsupervised", true), null);
        assertEquals(List.of("WARN board 'pi4j' is unsupervised: it moves with no safety supervisor; for a bench only"),
                logged.stream().filter(l -> l.startsWith("WARN")).toList());
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        assertTrue(board.motionPermitted(), "unsupervised: motion before any feed");
        pwm.setDuty(30000);
        brake.set(false);
        assertEquals(30000, pwm.duty());
        assertTrue(mockPwm("motor.left.pwm").getDutyCycle() > 0);
        assertEquals(DigitalState.LOW, mockOutput("motor.left.brake").state());
        assertEquals(0, board.refusedWrites());

        board.revokeMotion();
        assertFalse(board.motionPermitted(), "a revoke arms the permit: unsupervised no more");
        assertEquals(0f, mockPwm("motor.left.pwm").getDutyCycle(), "safe at once");
        assertEquals(DigitalState.HIGH, mockOutput("motor.left.brake").state());
        pwm.setDuty(30000);
        brake.set(false);
        assertEquals(0, pwm.duty(), "armed and not fed: refused");
        assertTrue(brake.get());
        assertEquals(2, board.refusedWrites());

        // new channels are rebuilt with a new permit, which stays armed
        board.modified(config(root, "unsupervised", true, "outputs", new String[] {"motor.left.brake:6:high, led.status:16:low"}));
        assertFalse(board.motionPermitted(), "still armed after the channels were rebuilt");
        board.channel("motor.left.pwm", PwmOutput.class).setDuty(30000);
        assertEquals(0f, mockPwm("motor.left.pwm").getDutyCycle());
        IllegalArgumentException fixed = assertThrows(IllegalArgumentException.class, () -> board.modified(config(root, "unsupervised", false)));
        assertTrue(fixed.getMessage().startsWith("unsupervised cannot change while the board runs"), fixed.getMessage());
    }
}
