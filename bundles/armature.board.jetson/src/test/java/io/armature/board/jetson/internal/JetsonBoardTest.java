package io.armature.board.jetson.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.log.Logger;

import io.armature.board.jetson.fake.GpioKernelSim;
import io.armature.hal.ChannelType;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.Edge;
import io.armature.hal.PwmOutput;
import io.armature.hal.UnknownChannelException;
import io.armature.testing.ComponentConfigs;

class JetsonBoardTest {

    private static final String[] PWM = {"motor.left.pwm=33", "motor.right.pwm=32"};
    private static final String[] OUTPUTS = {"motor.left.dir=29:low", "motor.left.brake=31:high"};
    private static final String[] INPUTS = {"encoder.left.a=11", "estop.in=40"};

    @TempDir
    Path root;
    private final GpioKernelSim gpio = new GpioKernelSim();
    private final PwmKernelModel pwmKernel = new PwmKernelModel();
    private JetsonBoard board;

    @BeforeEach
    void machine() throws IOException {
        deviceTree("NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super",
                "nvidia,p3768-0000+p3767-0005-super", "nvidia,p3767-0005", "nvidia,p3768-0000+p3767-0005", "nvidia,tegra234");
        Files.createDirectories(root.resolve("dev"));
        for (String chip : List.of("gpiochip0", "gpiochip1")) {
            Files.writeString(root.resolve("dev").resolve(chip), "");
        }
        gpio.addChip("gpiochip0", "tegra234-gpio", 164);
        gpio.addChip("gpiochip1", "tegra234-gpio-aon", 32);
        pwmChip(0, "3280000.pwm");
        pwmChip(2, "32c0000.pwm");
        pwmChip(3, "32e0000.pwm");
    }

    private void deviceTree(String model, String... compatible) throws IOException {
        Path dt = Files.createDirectories(root.resolve("dt"));
        Files.write(dt.resolve("model"), (model + "\0").getBytes(StandardCharsets.US_ASCII));
        Files.write(dt.resolve("compatible"), (String.join("\0", compatible) + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    private void pwmChip(int n, String controller) throws IOException {
        Path dir = Files.createDirectories(root.resolve("sys/devices/platform/bus@0").resolve(controller).resolve("pwm/pwmchip" + n));
        Path link = Files.createDirectories(root.resolve("sys/class/pwm")).resolve("pwmchip" + n);
        Files.createSymbolicLink(link, link.getParent().relativize(dir));
        pwmKernel.addChip(link, 1);
    }

    private JetsonBoard.Config config(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        m.put("pwm", PWM);
        m.put("outputs", OUTPUTS);
        m.put("inputs", INPUTS);
        m.put("deviceTreeRoot", root.resolve("dt").toString());
        m.put("sysfsRoot", root.resolve("sys").toString());
        m.put("devRoot", root.resolve("dev").toString());
        m.put("exportTimeoutMillis", 100);
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return ComponentConfigs.of(JetsonBoard.Config.class, m);
    }

    private JetsonBoard start(Object... keyValues) throws IOException {
        JetsonBoard b = new JetsonBoard(pwmKernel);
        b.setGpioDriver(gpio);
        b.setLogger(logger());
        b.activate(config(keyValues), null);
        board = b;
        return b;
    }

    private final List<String> logged = new CopyOnWriteArrayList<>();

    private Logger logger() {
        return io.armature.testing.RecordingLogger.into(logged);
    }

    /** Feeds the motion permit for a minute, as a supervisor would: a supervised board moves only while fed. */
    private void permit() {
        board.permitMotion(System.nanoTime() + 60_000_000_000L);
    }

    private long duty(int chip) {
        return pwmKernel.channel(root.resolve("sys/class/pwm/pwmchip" + chip), 0).duty;
    }

    @AfterEach
    void stop() {
        if (board != null) {
            board.deactivate();
        }
    }

    @Test
    void headerPinsBecomeChannelsOnTheRightLinesAndPwmChips() throws IOException {
        start();
        assertEquals("NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super", board.info().model());
        assertEquals("jetson", board.info().backend());
        assertEquals(List.of("motor.left.pwm", "motor.right.pwm", "motor.left.dir", "motor.left.brake", "encoder.left.a", "estop.in"),
                board.info().channels().stream().map(c -> c.name()).toList());
        assertEquals(8, board.info().channel("motor.left.pwm").orElseThrow().resolutionBits(), "the Tegra PWM's 8-bit duty");
        assertEquals("armature:motor.left.dir", gpio.consumer("gpiochip0", 105), "pin 29 is line 105 of tegra234-gpio");
        assertTrue(gpio.isOutput("gpiochip0", 106), "pin 31");
        assertTrue(gpio.level("gpiochip0", 106), "the brake is requested at its safe level, high");
        assertEquals("armature:estop.in", gpio.consumer("gpiochip0", 51), "pin 40");

        permit();
        board.channel("motor.left.pwm", PwmOutput.class).setDuty(65535);
        assertEquals(50_000, duty(2), "pin 33 is 32c0000.pwm, pwmchip2 here: full duty is the whole 50000 ns period");
        board.channel("motor.right.pwm", PwmOutput.class).setDuty(32768);
        assertEquals(25_000, duty(3), "pin 32 is 32e0000.pwm");
        assertEquals(0, pwmKernel.refused);
    }

    @Test
    void theMachineMustBeTheKitTheHeaderMapDescribes() throws IOException {
        deviceTree("Raspberry Pi 4 Model B Rev 1.4", "raspberrypi,4-model-b", "brcm,bcm2711");
        IllegalStateException e = assertThrows(IllegalStateException.class, this::start);
        assertTrue(e.getMessage().contains("this machine is 'Raspberry Pi 4 Model B Rev 1.4' (compatible: raspberrypi,4-model-b, brcm,bcm2711)"),
                e.getMessage());
        assertNull(gpio.consumer("gpiochip0", 105), "nothing was requested");
    }

    @Test
    void unknownOrWronglyTypedPinsAreRefusedListingTheValidOnes() {
        IllegalArgumentException notPwm = assertThrows(IllegalArgumentException.class, () -> start("pwm", new String[] {"motor.left.pwm=12"}));
        assertEquals("pwm entry 'motor.left.pwm=12': 12 is not a PWM pin of the Jetson Orin Nano developer kit 40-pin header; "
                + "PWM pins: 15, 32, 33", notPwm.getMessage());
        IllegalArgumentException power = assertThrows(IllegalArgumentException.class, () -> start("inputs", new String[] {"estop.in=2"}));
        assertTrue(power.getMessage().endsWith("GPIO pins: 7, 11, 12, 13, 15, 16, 18, 19, 21, 22, 23, 24, 26, 29, 31, 32, 33, 35, 36, 37, 38, 40"),
                power.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> start("inputs", new String[] {"estop.in=33"}));
        assertEquals("header pin 33 (GPIO13 / PH.00) is used by both motor.left.pwm and estop.in", twice.getMessage());
        IllegalArgumentException noLevel = assertThrows(IllegalArgumentException.class,
                () -> start("outputs", new String[] {"motor.left.dir=29"}));
        assertTrue(noLevel.getMessage().contains("must end with its safe level, :low or :high"), noLevel.getMessage());
        assertNull(gpio.consumer("gpiochip0", 105), "a refused configuration requests nothing");
    }

    @Test
    void aLineHeldBySomeoneElseFailsTheStartAndReleasesWhatWasTaken() throws IOException {
        var other = gpio.open(root.resolve("dev/gpiochip0")).requestInput(51, "someone");
        IOException e = assertThrows(IOException.class, this::start);
        assertTrue(e.getMessage().contains("line 51") && e.getMessage().contains("EBUSY"), e.getMessage());
        assertNull(gpio.consumer("gpiochip0", 105), "the lines requested before it are released");
        other.close();
    }

    @Test
    void revokeAndALapsedPermitDriveEverythingSafe() throws Exception {
        start();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        DigitalOutput dir = board.channel("motor.left.dir", DigitalOutput.class);
        board.permitMotion(System.nanoTime() + 1_000_000_000L);
        brake.set(false);
        dir.set(true);
        pwm.setDuty(40_000);
        assertEquals(30_518, duty(2));
        board.revokeMotion();
        assertEquals(0, duty(2));
        assertTrue(gpio.level("gpiochip0", 106), "brake on");
        assertFalse(gpio.level("gpiochip0", 105), "direction low");
        pwm.setDuty(40_000);
        assertEquals(0, duty(2), "no permit, no motion");
        assertEquals(1, board.refusedWrites());

        board.permitMotion(System.nanoTime() + 30_000_000L);
        brake.set(false);
        pwm.setDuty(40_000);
        assertEquals(30_518, duty(2));
        long deadline = System.nanoTime() + 2_000_000_000L;
        // the count of lapses answers once the watcher has driven every actuator safe (the PWM first,
        // then the brake): waiting for the duty alone could read the brake between the two writes
        while (board.permitLapses() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(1, board.permitLapses());
        assertEquals(0, duty(2), "the permit lapsed after 30 ms: the board stopped the motor by itself");
        assertTrue(gpio.level("gpiochip0", 106), "and put the brake on");
    }

    @Test
    void deactivateLeavesEveryOutputSafeAndReleasesTheLines() throws IOException {
        start();
        permit();
        board.channel("motor.left.brake", DigitalOutput.class).set(false);
        board.channel("motor.left.pwm", PwmOutput.class).setDuty(65535);
        assertEquals(50_000, duty(2), "moving before the stop");
        assertFalse(gpio.level("gpiochip0", 106));
        board.deactivate();
        board = null;
        assertEquals(0, duty(2));
        assertTrue(pwmKernel.channel(root.resolve("sys/class/pwm/pwmchip2"), 0).enabled, "held at duty 0, enabled");
        assertNull(gpio.consumer("gpiochip0", 106), "released");
        assertTrue(gpio.level("gpiochip0", 106), "after being driven to its safe level");
    }

    @Test
    void inputEdgesArriveWithTheKernelsMonotonicTimestamps() throws Exception {
        start();
        DigitalInput estop = board.channel("estop.in", DigitalInput.class);
        List<long[]> edges = new CopyOnWriteArrayList<>();
        estop.onEdge(Edge.BOTH, (ch, level, t) -> edges.add(new long[] {level ? 1 : 0, t}));
        long before = System.nanoTime();
        gpio.drive("gpiochip0", 51, true);
        gpio.drive("gpiochip0", 51, false);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (edges.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(2, edges.size());
        assertEquals(1, edges.get(0)[0]);
        assertEquals(0, edges.get(1)[0]);
        assertTrue(edges.get(0)[1] >= before && edges.get(1)[1] >= edges.get(0)[1], "monotonic, on the nanoTime clock");
        assertFalse(estop.read());
        UnknownChannelException wrongType = assertThrows(UnknownChannelException.class, () -> board.channel("estop.in", DigitalOutput.class));
        assertTrue(wrongType.getMessage().contains("DIGITAL_INPUT"), wrongType.getMessage());
    }

    @Test
    void aFrequencyChangeAppliesLiveAndPinChangesAreRefused() throws IOException {
        start();
        permit();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        pwm.setDuty(32768);
        board.modified(config("pwmFrequencyHz", 1000.0));
        assertEquals(500_008, duty(2), "half of the 1 ms period");
        assertEquals(0, pwmKernel.refused);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> board.modified(config("pwm", new String[] {"motor.left.pwm=15"})));
        assertTrue(e.getMessage().contains("previous configuration stays"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pwm.setDuty(70_000));
        assertEquals(500_008, duty(2), "an out-of-range duty changes nothing");
    }

    @Test
    void aBoardThatNoSupervisorFedRefusesMotion() throws Exception {
        start();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        DigitalOutput dir = board.channel("motor.left.dir", DigitalOutput.class);
        assertFalse(board.motionPermitted(), "fail-closed: no feed, no motion");
        pwm.setDuty(40_000);
        brake.set(false);
        dir.set(true);
        assertEquals(0, pwm.duty());
        assertEquals(0, duty(2), "the pin never left duty 0");
        assertTrue(gpio.level("gpiochip0", 106), "the brake stays on");
        assertFalse(gpio.level("gpiochip0", 105), "direction stays low");
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
        start("unsupervised", true);
        assertEquals(List.of("WARN board 'jetson' is unsupervised: it moves with no safety supervisor; for a bench only"),
                logged.stream().filter(l -> l.startsWith("WARN")).toList());
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        assertTrue(board.motionPermitted(), "unsupervised: motion before any feed");
        brake.set(false);
        pwm.setDuty(40_000);
        assertEquals(30_518, duty(2));
        assertFalse(gpio.level("gpiochip0", 106), "brake off");
        assertEquals(0, board.refusedWrites());

        board.revokeMotion();
        assertFalse(board.motionPermitted(), "a revoke arms the permit: unsupervised no more");
        assertEquals(0, duty(2), "safe at once");
        assertTrue(gpio.level("gpiochip0", 106), "brake on");
        pwm.setDuty(40_000);
        brake.set(false);
        assertEquals(0, duty(2), "armed and not fed: refused");
        assertTrue(gpio.level("gpiochip0", 106));
        assertEquals(2, board.refusedWrites());
        IllegalArgumentException fixed = assertThrows(IllegalArgumentException.class, () -> board.modified(config("unsupervised", false)));
        assertTrue(fixed.getMessage().contains("previous configuration stays"), fixed.getMessage());
    }

    @Test
    void withoutTheHeaderMapChannelsNameChipsAndAnyMachineWillDo() throws IOException {
        Files.delete(root.resolve("dt/compatible"));
        start("header", "none", "pwm", new String[] {"fan=pwmchip0:0"}, "outputs", new String[] {"led=gpiochip1:3:low"},
                "inputs", new String[0]);
        assertEquals(List.of(ChannelType.PWM, ChannelType.DIGITAL_OUTPUT), board.info().channels().stream().map(c -> c.type()).toList());
        assertEquals(15, board.info().channel("fan").orElseThrow().resolutionBits(), "50000 ns period: 15 bits of nanoseconds");
        assertEquals("armature:led", gpio.consumer("gpiochip1", 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JetsonBoard.Settings.of(config("header", "none")));
        assertTrue(e.getMessage().contains("without a header map a channel is pwmchipN:channel"), e.getMessage());
    }
}
