package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

import io.armature.hal.Board;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.Edge;
import io.armature.hal.PwmOutput;
import io.armature.hal.Registration;

/** The sim-rover feature, booted from its built jar in a real Felix, driven as an operator would. */
class SimRoverTest {

    private static FeatureRuntime robot;
    private static String bootConsole;

    @BeforeAll
    static void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
        Thread.sleep(500); // what comes right after the ready line belongs to the start too
        bootConsole = robot.console();
    }

    @Test
    void aCleanStartPrintsNoWarningOrError() {
        // The one warning a clean start may print: a host that refuses SCHED_FIFO says so.
        String unexpected = bootConsole.lines().filter(l -> l.contains("[armature] ERROR") || l.contains("[armature] WARN") || l.contains("Exception"))
                .filter(l -> !l.matches("\\[armature\\] WARN  armature\\.control: loop '\\w+' runs at [0-9.]+ Hz without real-time priority: .*"))
                .reduce("", (a, b) -> a + b + "\n");
        assertEquals("", unexpected);
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
    }

    private static String channel(String name) {
        return "(armature.channel=" + name + ")";
    }

    @Test
    void everyBundleIsActiveAndNoComponentIsUnsatisfied() throws Exception {
        List<String> notActive = new ArrayList<>();
        for (Bundle b : robot.context().getBundles()) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null && b.getState() != Bundle.ACTIVE) {
                notActive.add(b.getSymbolicName() + " state " + b.getState());
            }
        }
        assertEquals(List.of(), notActive);

        Object scr = robot.serviceObject("org.osgi.service.component.runtime.ServiceComponentRuntime", 5_000);
        Class<?> api = scr.getClass().getClassLoader().loadClass("org.osgi.service.component.runtime.ServiceComponentRuntime");
        Collection<?> descriptions = (Collection<?>) api.getMethod("getComponentDescriptionDTOs", Bundle[].class)
                .invoke(scr, (Object) new Bundle[0]);
        List<String> bad = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Object d : descriptions) {
            String name = (String) d.getClass().getField("name").get(d);
            names.add(name);
            Collection<?> configs = (Collection<?>) api.getMethod("getComponentConfigurationDTOs", d.getClass()).invoke(scr, d);
            for (Object c : configs) {
                int state = c.getClass().getField("state").getInt(c);
                if (state != 4 /* SATISFIED */ && state != 8 /* ACTIVE */) {
                    bad.add(name + " state " + state + " " + c.getClass().getField("failure").get(c));
                }
            }
        }
        assertEquals(List.of(), bad);
        assertTrue(names.containsAll(List.of("io.armature.board.sim.internal.SimBoard", "io.armature.shell.internal.HalCommands",
                "io.armature.shell.internal.RobotCommands", "io.armature.web.internal.ConsoleCredentials")), names.toString());
    }

    @Test
    void withVisionOffOpenCvIsReadyButItsLibraryIsNeverLoaded() throws Exception {
        assertEquals(Bundle.ACTIVE, robot.bundle("armature.opencv").getState());
        assertTrue(robot.context().getAllServiceReferences("org.opencv.osgi.OpenCVInterface", null) != null, "the service is offered");
        try (java.util.stream.Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            assertTrue(maps.noneMatch(l -> l.contains("libopencv_java")), "nobody asked for OpenCV, so its 65 MB library is not loaded");
        }
        try (java.util.stream.Stream<Path> files = Files.walk(robot.configDir().getParent().resolve("storage"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("libopencv_java")), "nor copied out of its bundle");
        }
    }

    @Test
    void simBoardChannelsAreServicesThatTurnTheWheel() throws Exception {
        Board board = robot.service(Board.class, "(armature.board=sim)", 5_000);
        assertEquals("sim", board.info().backend());
        PwmOutput pwm = robot.service(PwmOutput.class, channel("motor.left.pwm"), 5_000);
        DigitalOutput brake = robot.service(DigitalOutput.class, channel("motor.left.brake"), 5_000);
        DigitalInput encoderA = robot.service(DigitalInput.class, channel("encoder.left.a"), 5_000);
        AtomicInteger rising = new AtomicInteger();
        try (Registration r = encoderA.onEdge(Edge.RISING, (ch, level, t) -> rising.incrementAndGet())) {
            assertTrue(brake.get(), "the brake is on until someone releases it");
            brake.set(false);
            pwm.setDuty(30_000);
            assertTrue(Poll.until(5_000, () -> rising.get() > 200), "the left encoder ticks: " + rising.get());
        } finally {
            pwm.setDuty(0);
            brake.set(true);
        }
        ServiceReference<?>[] refs = robot.context().getServiceReferences(PwmOutput.class.getName(), "(armature.board=sim)");
        assertEquals(2, refs.length, "two motor PWM channels");
    }

    @Test
    void gogoCommandsReportAndDriveChannels() throws Exception {
        String status = robot.gogo("robot:status");
        assertTrue(status.contains("sim: Armature simulated rover (backend sim), 14 channels"), status);
        assertTrue(status.matches("(?s).*io\\.armature\\.board\\.sim\\.internal\\.SimBoard \\[sim\\]\\s+ACTIVE.*"), status);
        assertTrue(status.matches("(?s).*io\\.armature\\.control\\.internal\\.WheelSpeedLoop \\[left\\]\\s+ACTIVE.*"), status);
        assertTrue(status.contains("Safety:\n  OK"), status);

        String list = robot.gogo("hal:list");
        assertTrue(list.matches("(?s).*sim\\s+motor\\.left\\.pwm\\s+PWM\\s+16\\s+duty 0\\s+duty 0.*"), list);
        assertTrue(list.matches("(?s).*battery\\.sense\\s+ADC\\s+12\\s+\\d+ mV.*"), list);

        PwmOutput right = robot.service(PwmOutput.class, channel("motor.right.pwm"), 5_000);
        try {
            assertEquals("motor.right.pwm duty 1000/65535 (1.5%) at 20000 Hz", robot.gogo("hal:pwm motor.right.pwm 1000").trim());
            assertEquals(1000, right.duty());
            assertEquals("gogo: IllegalArgumentException: duty must be 0..65535, was 70000",
                    robot.gogo("hal:pwm motor.right.pwm 70000").trim());
            assertEquals("gogo: IllegalArgumentException: duty must be a whole number 0..65535, was 'half'",
                    robot.gogo("hal:pwm motor.right.pwm half").trim());
            assertEquals(1000, right.duty(), "a refused duty changes nothing");
            String unknown = robot.gogo("hal:pwm motor.middle.pwm 5").trim();
            assertTrue(unknown.startsWith("gogo: UnknownChannelException: unknown channel 'motor.middle.pwm'")
                    && unknown.contains("motor.left.pwm"), unknown);
        } finally {
            right.setDuty(0);
        }

        DigitalOutput led = robot.service(DigitalOutput.class, channel("led.status"), 5_000);
        assertEquals("led.status = 1", robot.gogo("hal:gpio led.status 1").trim());
        assertTrue(led.get());
        assertEquals("led.status = 0", robot.gogo("hal:gpio led.status 0").trim());
        assertEquals("gogo: IllegalArgumentException: hal:gpio sets digital outputs only; estop.in is DIGITAL_INPUT",
                robot.gogo("hal:gpio estop.in 1").trim());
        assertEquals("estop.in = 1", robot.gogo("hal:gpio estop.in").trim());
        assertEquals("gogo: IllegalArgumentException: level must be 0..1, was 7", robot.gogo("hal:gpio led.status 7").trim());

        Matcher adc = Pattern.compile("battery\\.sense (\\d+) mV").matcher(robot.gogo("hal:adc battery.sense"));
        assertTrue(adc.find());
        int millivolts = Integer.parseInt(adc.group(1));
        assertTrue(millivolts > 2900 && millivolts < 3200, "a 12.6 V battery through a 1:4 divider: " + millivolts);
        assertEquals("gogo: IllegalArgumentException: hal:adc works on AnalogInput channels; led.status is DIGITAL_OUTPUT",
                robot.gogo("hal:adc led.status").trim());
    }

    @Test
    void editingTheConfigFileAppliesLiveAndABadValueKeepsTheLastGoodConfiguration() throws Exception {
        Path file = robot.configDir().resolve("armature.board.sim.cfg");
        String original = Files.readString(file);
        ServiceReference<Board> before = robot.context().getServiceReference(Board.class);
        DigitalInput estop = robot.service(DigitalInput.class, channel("estop.in"), 5_000);
        try {
            assertTrue(estop.read(), "released");
            Files.writeString(file, original.replace("estopPressed=false", "estopPressed=true"));
            assertTrue(Poll.until(10_000, () -> !estop.read()), "the config change reached the board");
            ServiceReference<Board> after = robot.context().getServiceReference(Board.class);
            assertEquals(before.getProperty(Constants.SERVICE_ID), after.getProperty(Constants.SERVICE_ID),
                    "modified in place: the board was not restarted");

            int consoleMark = robot.console().length();
            Files.writeString(file, original.replace("stepRateHz=1000", "stepRateHz=5"));
            assertTrue(Poll.until(10_000, () -> robot.console().substring(consoleMark).contains("stepRateHz must be 100..20000, was 5")),
                    "a clear error: " + robot.console().substring(consoleMark));
            String error = robot.console().substring(consoleMark).lines().filter(l -> l.contains("stepRateHz must be")).findFirst().orElseThrow();
            assertTrue(error.startsWith("[armature] ERROR armature.board.sim:"), error);
            assertFalse(estop.read(), "the last good configuration (e-stop pressed) stays in force");
            assertEquals(before.getProperty(Constants.SERVICE_ID),
                    robot.context().getServiceReference(Board.class).getProperty(Constants.SERVICE_ID));
            assertFalse(robot.console().substring(consoleMark).contains("\tat "), "no stack trace");
            assertTrue(robot.gogo("robot:status").contains("TRIPPED"), "the pressed e-stop input tripped the supervisor");
        } finally {
            Files.writeString(file, original);
            assertTrue(Poll.until(10_000, estop::read), "restored");
            assertTrue(Poll.until(5_000, () -> robot.gogo("robot:reset").contains("motion is allowed")), "released: the trip can be reset");
        }
    }

    @Test
    void aMalformedConfigFileIsReportedOnOneLineAndChangesNothing() throws Exception {
        DigitalInput estop = robot.service(DigitalInput.class, channel("estop.in"), 5_000);
        int consoleMark = robot.console().length();
        // typed FileInstall format with a value that is no integer
        Files.writeString(robot.configDir().resolve("armature.board.sim.config"), "estopPressed=B\"true\"\nstepRateHz=I\"fast\"\n");
        try {
            assertTrue(Poll.until(10_000, () -> robot.console().substring(consoleMark).contains("armature.board.sim.config")),
                    "the broken file is named: " + robot.console().substring(consoleMark));
            String line = robot.console().substring(consoleMark).lines().filter(l -> l.contains("armature.board.sim.config"))
                    .findFirst().orElseThrow();
            assertTrue(line.startsWith("[armature] ERROR") || line.startsWith("[armature] WARN"), line);
            Thread.sleep(500); // two more FileInstall polls
            assertTrue(estop.read(), "nothing from the broken file was applied");
            assertFalse(robot.console().substring(consoleMark).contains("\tat "), "no stack trace");
        } finally {
            Files.delete(robot.configDir().resolve("armature.board.sim.config"));
        }
    }

    @Test
    void webConsoleRefusesAdminAdminAndAcceptsTheGeneratedPassword() throws Exception {
        Matcher m = Pattern.compile("Web Console user 'admin', password (\\S+) \\(shown once").matcher(robot.console());
        assertTrue(m.find(), robot.console());
        String password = m.group(1);
        assertTrue(Files.readString(robot.dataDir().resolve("console-password.sha256"), StandardCharsets.UTF_8).startsWith("{sha-256}"));
        int port = robot.httpPort();
        assertTrue(Poll.until(10_000, () -> Http.get(port, "/system/console/bundles", "admin", password) == 200),
                "the generated password opens the console");
        assertEquals(401, Http.get(port, "/system/console/bundles", null, null));
        assertEquals(401, Http.get(port, "/system/console/bundles", "admin", "admin"));
        assertEquals(401, Http.get(port, "/system/console/bundles", "admin", password + "x"));
    }

    @Test
    void httpListensOnLoopbackOnly() throws Exception {
        ServiceReference<?>[] runtimes = robot.context().getAllServiceReferences(null, "(osgi.http.endpoint=*)");
        assertTrue(runtimes != null && runtimes.length > 0, "an HTTP runtime");
        Object endpoints = runtimes[0].getProperty("osgi.http.endpoint");
        List<String> list = new ArrayList<>();
        if (endpoints instanceof String s) {
            list.add(s);
        } else if (endpoints instanceof Collection<?> c) {
            c.forEach(e -> list.add(e.toString()));
        } else if (endpoints != null && endpoints.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(endpoints); i++) {
                list.add(Array.get(endpoints, i).toString());
            }
        }
        assertFalse(list.isEmpty());
        for (String e : list) {
            assertTrue(e.startsWith("http://127.0.0.1:" + robot.httpPort() + "/"), "endpoint " + e);
        }
    }
}
