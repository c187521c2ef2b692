package io.armature.safety.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

import io.armature.board.sim.internal.SimBoard;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.safety.Heartbeat;
import io.armature.safety.SafetyState;
import io.armature.testing.ComponentConfigs;
import io.armature.kit.service.DataDirectory;

class SupervisorTest {

    private static final long MS = 1_000_000;

    @TempDir
    Path dir;

    private final SimBoard board = new SimBoard();
    private final List<String> logged = new ArrayList<>();
    private int frameworkState = Bundle.ACTIVE;

    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class}, (p, m, a) -> {
            if (a != null && a.length > 0 && a[0] instanceof String s) {
                logged.add(m.getName() + " " + s);
            }
            return null;
        });
    }

    private BundleContext context() {
        Bundle framework = (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> m.getName().equals("getState") ? frameworkState : null); // getBundleContext: null, so the own context is used
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getBundle" -> framework;
                    case "getProperty" -> DataDirectory.PROPERTY.equals(a[0]) ? dir.toString() : null;
                    default -> null;
                });
    }

    private Supervisor supervisor(Object... keyValues) {
        Map<String, Object> sim = new HashMap<>();
        sim.put("realTime", false);
        board.activate(ComponentConfigs.of(SimBoard.Config.class, sim), null);
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        Supervisor s = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, m), context(), logger(), false, dir);
        s.addBoard(board);
        return s;
    }

    @AfterEach
    void stop() {
        if (board.info() != null) {
            board.deactivate();
        }
    }

    private void drive() {
        board.channel("motor.left.brake", DigitalOutput.class).set(false);
        board.channel("motor.left.pwm", PwmOutput.class).setDuty(40_000);
    }

    private int duty() {
        return board.channel("motor.left.pwm", PwmOutput.class).duty();
    }

    @Test
    void whileHealthyItFeedsThePermitAndAnEstopMakesEverythingSafeAtOnce() {
        // a feed lasting 1 s: this is about feeding and the e-stop, not the permit's length, and a
        // fresh JVM on a loaded machine can take longer than the default 50 ms from feed to write
        Supervisor s = supervisor("permitMillis", 1000);
        long now = System.nanoTime();
        s.check(now);
        assertTrue(board.motionPermitted());
        drive();
        assertEquals(40_000, duty());
        s.estop("gogo", "operator pressed e-stop");
        assertEquals(0, duty(), "safe in the calling thread, before any cycle");
        assertTrue(board.channel("motor.left.brake", DigitalOutput.class).get());
        assertEquals(SafetyState.TRIPPED, s.state());
        assertFalse(s.mayMove());
        assertEquals("estop:gogo", s.tripReason().orElseThrow().source());
        assertTrue(s.tripReason().get().monotonicNanos() - now >= 0);
        drive();
        assertEquals(0, duty(), "latched: the board refuses to move");
        s.check(System.nanoTime() + MS);
        drive();
        assertEquals(0, duty(), "still latched after a cycle: no feed while tripped");

        s.reset("gogo");
        assertTrue(s.mayMove());
        s.check(System.nanoTime());
        drive();
        assertEquals(40_000, duty(), "moves again after an explicit reset and a feed");
    }

    /** A loop service of {@code bundle}, whose state the test sets, as SCR registers it. */
    private static org.osgi.framework.ServiceReference<io.armature.control.ControlLoop> loop(String name, long serviceId, int[] bundleState) {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(SupervisorTest.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getState" -> bundleState[0];
                    case "getSymbolicName" -> "armature.control";
                    case "getBundleId" -> 12L;
                    default -> null;
                });
        @SuppressWarnings("unchecked")
        org.osgi.framework.ServiceReference<io.armature.control.ControlLoop> ref = (org.osgi.framework.ServiceReference<io.armature.control.ControlLoop>) Proxy
                .newProxyInstance(SupervisorTest.class.getClassLoader(), new Class<?>[] {org.osgi.framework.ServiceReference.class},
                        (p, m, a) -> switch (m.getName()) {
                            case "getBundle" -> bundle;
                            case "getProperty" -> org.osgi.framework.Constants.SERVICE_ID.equals(a[0]) ? (Object) serviceId
                                    : io.armature.control.ControlLoop.PROPERTY_NAME.equals(a[0]) ? name : null;
                            case "hashCode" -> (int) serviceId;
                            case "equals" -> p == a[0];
                            case "compareTo" -> 0;
                            default -> null;
                        });
        return ref;
    }

    /** A board that only counts the feeds of its permit: whether a cycle fed, without reading a clock. */
    private static io.armature.hal.Board feedCounter(java.util.concurrent.atomic.AtomicInteger feeds) {
        io.armature.hal.BoardInfo info = new io.armature.hal.BoardInfo("probe", "feed counter", "test", List.of());
        return (io.armature.hal.Board) Proxy.newProxyInstance(SupervisorTest.class.getClassLoader(), new Class<?>[] {io.armature.hal.Board.class},
                (p, m, a) -> switch (m.getName()) {
                    case "info" -> info;
                    case "permitMotion" -> {
                        feeds.incrementAndGet();
                        yield null;
                    }
                    case "channels" -> List.of();
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == a[0];
                    default -> null;
                });
    }

    @Test
    void aRequiredLoopAwayWithItsBundleForAnUpdateIsAwaitedForItsHeartbeatTimeoutWithNothingFed() {
        Supervisor s = supervisor("requiredLoops", new String[] {"left"}, "startupGraceMillis", 0);
        java.util.concurrent.atomic.AtomicInteger feeds = new java.util.concurrent.atomic.AtomicInteger();
        s.addBoard(feedCounter(feeds));
        int[] state = {Bundle.ACTIVE};
        var left = loop("left", 7, state);
        s.addLoop(left);
        Heartbeat hb = s.heartbeat("loop:left", 250 * MS);
        hb.beat();
        long t0 = System.nanoTime();
        s.check(t0);
        assertEquals(1, feeds.get(), "healthy: fed");

        state[0] = Bundle.STOPPING; // Update on the Bundles page: the bundle stops, then starts again
        hb.close(); // the loop's orderly stop
        s.removeLoop(left);
        s.check(t0 + 60 * MS);
        s.check(t0 + 120 * MS);
        assertTrue(s.mayMove(), "away for an update is no trip: " + s.tripReason());
        assertEquals(1, feeds.get(), "but nothing is fed while the loop is away: every board's permit lapses");
        assertEquals(List.of("loop 'left' is not running (its bundle is starting again)"), s.unhealthy(t0 + 120 * MS));

        s.addLoop(loop("left", 8, new int[] {Bundle.ACTIVE})); // the new version's loop
        s.check(t0 + 150 * MS);
        assertTrue(s.mayMove());
        assertEquals(2, feeds.get(), "back within its heartbeat timeout: fed again, it drives on");
        s.check(t0 + 10_000 * MS);
        assertTrue(s.mayMove(), "and nothing is awaited any more");
        assertEquals(3, feeds.get());
    }

    @Test
    void aLoopThatIsNotBackWithinItsHeartbeatTimeoutTripsNamingItsBundle() {
        Supervisor s = supervisor("requiredLoops", new String[] {"left"}, "startupGraceMillis", 0);
        int[] state = {Bundle.ACTIVE};
        var left = loop("left", 7, state);
        s.addLoop(left);
        s.heartbeat("loop:left", 250 * MS).close();
        long t0 = System.nanoTime();
        state[0] = Bundle.STOPPING; // Stop on the Bundles page
        s.removeLoop(left);
        s.check(t0 + 200 * MS);
        assertTrue(s.mayMove(), "still awaited");
        s.check(System.nanoTime() + 300 * MS);
        assertFalse(s.mayMove());
        assertEquals("bundle:armature.control", s.tripReason().orElseThrow().source());
        assertEquals("bundle armature.control stopped and took loop 'left' with it; it was not back within 250 ms (its heartbeat timeout)",
                s.tripReason().get().message());
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> s.reset("gogo"));
        assertTrue(refused.getMessage().startsWith("cannot reset: loop 'left' is not running ("), refused.getMessage());
    }

    @Test
    void aRequiredLoopThatGoesWhileItsBundleRunsTripsAtOnce() {
        Supervisor s = supervisor("requiredLoops", new String[] {"left"}, "startupGraceMillis", 0);
        var left = loop("left", 7, new int[] {Bundle.ACTIVE});
        s.addLoop(left);
        s.removeLoop(left); // its configuration was deleted
        assertFalse(s.mayMove());
        assertEquals("required loop 'left' went away", s.tripReason().orElseThrow().message());
    }

    @Test
    void aMissedHeartbeatTripsAndResetIsRefusedUntilItBeatsAgain() {
        Supervisor s = supervisor();
        Heartbeat hb = s.heartbeat("loop:left", 3 * MS);
        s.check(System.nanoTime() + 10 * MS);
        assertTrue(s.mayMove(), "not beaten yet: its owner may still be starting");
        hb.beat();
        s.check(System.nanoTime());
        assertTrue(s.mayMove());
        s.check(System.nanoTime() + 10 * MS);
        assertFalse(s.mayMove());
        assertTrue(s.tripReason().orElseThrow().message().startsWith("loop:left missed its heartbeat"), s.tripReason().get().message());
        // a reset judges the heartbeat at the real time it is asked: let the last beat really be older
        // than its 3 ms (the trip's record used to take that long, on a machine that was busy enough)
        for (long stale = System.nanoTime() + 5 * MS; System.nanoTime() < stale;) {
            java.util.concurrent.locks.LockSupport.parkNanos(MS);
        }
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> s.reset("gogo"));
        assertTrue(refused.getMessage().startsWith("cannot reset: loop:left has no heartbeat"), refused.getMessage());
        hb.beat();
        s.reset("gogo");
        assertTrue(s.mayMove());
        hb.close();
        s.check(System.nanoTime() + 100 * MS);
        assertTrue(s.mayMove(), "a closed heartbeat (orderly stop) does not trip");
    }

    @Test
    void theEstopInputIsDebouncedAndHoldsTheTripWhilePressed() {
        Supervisor s = supervisor("estopDebounceMillis", 5);
        long t0 = System.nanoTime();
        s.check(t0);
        board.modified(ComponentConfigs.of(SimBoard.Config.class, Map.of("realTime", false, "estopPressed", true)));
        s.check(t0 + MS);
        assertTrue(s.mayMove(), "a 1 ms press is a bounce");
        s.check(t0 + 7 * MS);
        assertFalse(s.mayMove());
        assertEquals("estop:input", s.tripReason().orElseThrow().source());
        assertEquals("cannot reset: the e-stop button is pressed (still tripped: e-stop button sim/estop.in pressed)",
                assertThrows(IllegalStateException.class, () -> s.reset("gogo")).getMessage());
        board.modified(ComponentConfigs.of(SimBoard.Config.class, Map.of("realTime", false, "estopPressed", false)));
        s.reset("gogo");
        assertTrue(s.mayMove());
    }

    @Test
    void aRequiredBoardGoingAwayTrips() {
        Supervisor s = supervisor();
        s.check(System.nanoTime());
        s.removeBoard(board);
        assertFalse(s.mayMove());
        assertEquals("board:sim", s.tripReason().orElseThrow().source());
        assertTrue(assertThrows(IllegalStateException.class, () -> s.reset("gogo")).getMessage().contains("board 'sim' is not present"));
    }

    @Test
    void requiredRolesMayAppearDuringTheStartupGraceButTheirAbsenceTripsAfterIt() {
        Supervisor s = supervisor("requiredLoops", new String[] {"left,right"}, "startupGraceMillis", 100);
        long t0 = System.nanoTime();
        s.check(t0);
        assertTrue(s.mayMove(), "starting: no trip yet");
        assertFalse(board.motionPermitted(), "and no feed yet: a board no supervisor fed refuses motion (fail-closed)");
        s.check(t0 + 200 * MS);
        assertFalse(s.mayMove(), "after the grace, a missing loop trips");
        assertEquals("loop:left", s.tripReason().orElseThrow().source());
        assertTrue(assertThrows(IllegalStateException.class, () -> s.reset("gogo")).getMessage().contains("loop 'left' is not running"));
    }

    /** A stream whose counters the test sets. */
    private static final class FakeStream implements io.armature.sensor.SampleStream<io.armature.sensor.ImuSample> {
        volatile long published;
        volatile long invalid;

        @Override
        public String name() {
            return "imu";
        }

        @Override
        public Class<io.armature.sensor.ImuSample> sampleType() {
            return io.armature.sensor.ImuSample.class;
        }

        @Override
        public double rateHz() {
            return 1000;
        }

        @Override
        public io.armature.sensor.SampleReader<io.armature.sensor.ImuSample> openLatest() {
            throw new UnsupportedOperationException();
        }

        @Override
        public io.armature.sensor.SampleReader<io.armature.sensor.ImuSample> openQueue(int capacity) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int capacity() {
            return 0; // no queue readers: the supervisor reads the counters only
        }

        @Override
        public long invalidCount() {
            return invalid;
        }

        @Override
        public long published() {
            return published;
        }

        @Override
        public int readers() {
            return 0;
        }

        @Override
        public long lostCount() {
            return 0;
        }
    }

    @Test
    void aStalledWatchedStreamTripsAndResetWaitsForItToFlowAgain() {
        Supervisor s = supervisor("watchedStreams", new String[] {"imu"}, "streamStallMillis", 20);
        FakeStream imu = new FakeStream();
        s.addStream(imu, Map.of());
        for (int i = 0; i < 10; i++) {
            imu.published++;
            s.check(System.nanoTime());
        }
        assertTrue(s.mayMove());
        try {
            Thread.sleep(40); // nothing new for 40 ms; reset() below looks at the real clock too
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        s.check(System.nanoTime());
        assertFalse(s.mayMove());
        assertEquals("stream:imu", s.tripReason().orElseThrow().source());
        assertTrue(s.tripReason().get().message().startsWith("sensor stream 'imu' stalled"), s.tripReason().get().message());
        assertTrue(assertThrows(IllegalStateException.class, () -> s.reset("gogo")).getMessage().contains("sensor stream 'imu' is stalled"));
        imu.published++;
        s.check(System.nanoTime());
        s.reset("gogo");
        assertTrue(s.mayMove());
    }

    @Test
    void aReplayOverAWatchedStreamIsWatchedWhileItPlaysAndItsEndIsNoStall() {
        Supervisor s = supervisor("watchedStreams", new String[] {"imu"}, "streamStallMillis", 20);
        FakeStream live = new FakeStream();
        FakeStream replay = new FakeStream();
        s.addStream(live, Map.of());
        s.addStream(replay, Map.of("service.ranking", 1000));
        long t = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            live.published++;
            replay.published++;
            s.check(t + i * MS);
        }
        s.removeStream(replay); // the replay ended: the live stream is watched again, at once
        for (int i = 10; i < 15; i++) {
            live.published++;
            s.check(t + i * MS);
        }
        assertTrue(s.mayMove(), s.tripReason().toString());
        s.removeStream(live);
        s.check(t + 50 * MS);
        assertFalse(s.mayMove(), "the last stream of the name going away is a stall");
    }

    @Test
    void tooManyInvalidSamplesFromAWatchedStreamTrip() {
        Supervisor s = supervisor("watchedStreams", new String[] {"imu"}, "maxInvalidPerSecond", 5);
        FakeStream imu = new FakeStream();
        s.addStream(imu, Map.of());
        long t = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            imu.published++;
            if (i >= 10) {
                imu.invalid++; // the sensor starts delivering garbage
            }
            s.check(t + i * MS);
        }
        assertFalse(s.mayMove());
        assertTrue(s.tripReason().orElseThrow().message().contains("invalid samples within a second (limit 5)"), s.tripReason().get().message());
    }

    @Test
    void theWatchdogIsFedOnlyWhileHealthyAndDisarmedOnlyOnAnOrderlyShutdown() throws Exception {
        Path device = Files.createFile(dir.resolve("watchdog"));
        Supervisor s = supervisor("watchdogDevice", device.toString(), "watchdogFeedMillis", 10);
        long t = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            s.check(t + i * 20 * MS);
        }
        assertEquals("kkkkk", Files.readString(device), "fed every 10 ms while healthy");
        s.estop("test", "e-stop");
        for (int i = 5; i < 10; i++) {
            s.check(t + i * 20 * MS);
        }
        assertEquals("kkkkk", Files.readString(device), "not fed while tripped: the hardware will bite if nobody resets");
        s.deactivate();
        assertEquals("kkkkk", Files.readString(device), "a stopped supervisor leaves the watchdog armed (no magic close)");

        Path device2 = Files.createFile(dir.resolve("watchdog2"));
        Supervisor orderly = supervisor2(device2);
        frameworkState = Bundle.STOPPING;
        orderly.deactivate();
        assertEquals("V", Files.readString(device2), "an orderly shutdown writes the magic close character");
    }

    private Supervisor supervisor2(Path device) {
        Supervisor s = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, Map.of("watchdogDevice", device.toString())), context(), logger(), false, dir);
        s.addBoard(board);
        return s;
    }

    @Test
    void anUnopenableWatchdogKeepsTheRobotFromMoving() {
        Supervisor s = supervisor("watchdogDevice", dir.resolve("missing/watchdog").toString());
        assertFalse(s.mayMove());
        assertTrue(s.tripReason().orElseThrow().message().startsWith("cannot open watchdog device"));
    }

    @Test
    void aWatchdogTimeoutThatCannotBeSetKeepsTheRobotFromMoving() throws Exception {
        // a plain file opens and takes writes like the device, but refuses the timeout ioctl
        Path notAWatchdog = Files.createFile(dir.resolve("not-a-watchdog"));
        Supervisor s = supervisor("watchdogDevice", notAWatchdog.toString(), "watchdogTimeoutSeconds", 15);
        assertFalse(s.mayMove());
        assertEquals("cannot open watchdog device " + notAWatchdog + ": cannot set its timeout to 15 s: Inappropriate ioctl for device",
                s.tripReason().orElseThrow().message());
        assertEquals("", Files.readString(notAWatchdog), "and nothing was written: not even the magic character");
    }

    @Test
    void theWatchdogIoctlsAreLinuxs() {
        // linux/watchdog.h: WDIOC_SETTIMEOUT _IOWR('W', 6, int), WDIOC_GETTIMEOUT _IOR('W', 7, int)
        int ioc = (3 << 30) | (4 << 16) | ('W' << 8) | 6;
        assertEquals(ioc, LibcWatchdog.WDIOC_SETTIMEOUT);
        assertEquals((2 << 30) | (4 << 16) | ('W' << 8) | 7, LibcWatchdog.WDIOC_GETTIMEOUT);
    }

    @Test
    void aRealTimePriorityBeyondTheKernelsRangeIsRefused() {
        Supervisor s = supervisor("realTimePriority", 100);
        assertFalse(s.mayMove());
        assertEquals("configuration refused: realTimePriority must be 0..99, was 100", s.tripReason().orElseThrow().message());
    }

    @Test
    void aBadConfigurationAtStartLeavesASupervisorThatIsTrippedWithTheReasonAndStillStops() {
        Supervisor s = supervisor("permitMillis", 0);
        assertFalse(s.mayMove());
        assertEquals("configuration refused: permitMillis must be 1..1000, was 0", s.tripReason().orElseThrow().message());
        s.check(System.nanoTime());
        assertFalse(board.motionPermitted(), "a refused configuration feeds nothing");
        s.estop("web", "pressed anyway");
        assertEquals(SafetyState.TRIPPED, s.state(), "an e-stop is still answered");
        assertTrue(assertThrows(IllegalStateException.class, () -> s.reset("gogo")).getMessage()
                .contains("the configuration was refused (permitMillis must be 1..1000, was 0)"));
        s.modified(ComponentConfigs.of(Supervisor.Config.class, Map.of()));
        assertFalse(s.mayMove(), "a good configuration does not clear the trip by itself");
        s.reset("gogo");
        assertTrue(s.mayMove());

        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("watchdogTimeoutSeconds", 1), Map.of("estopInput", "estop.in"),
                Map.of("cycleMicros", 50))) {
            Supervisor other = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, bad), context(), logger(), false, dir.resolve("x" + bad.hashCode()));
            assertFalse(other.mayMove(), "refused: " + bad);
        }
        Supervisor other = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, Map.of("watchdogTimeoutSeconds", 1)), context(), logger(), false,
                dir.resolve("y"));
        assertEquals("configuration refused: watchdogTimeoutSeconds 1 is less than twice watchdogFeedMillis 1000: one late feed would reset the machine",
                other.tripReason().orElseThrow().message());
    }

    @Test
    void aConfigurationChangeKeepsALatchedTripAndABadValueKeepsTheConfigurationInForce() {
        Supervisor s = supervisor("streamStallMillis", 100);
        s.check(System.nanoTime());
        s.estop("gogo", "stop");
        s.modified(ComponentConfigs.of(Supervisor.Config.class, Map.of("streamStallMillis", 200)));
        s.check(System.nanoTime());
        assertEquals(SafetyState.TRIPPED, s.state(), "a configuration change is no reset");
        assertEquals("estop:gogo", s.tripReason().orElseThrow().source());
        drive();
        assertEquals(0, duty());

        s.modified(ComponentConfigs.of(Supervisor.Config.class, Map.of("cycleMicros", 50)));
        assertTrue(logged.stream().anyMatch(l -> l.contains("configuration refused, the one in force stays")), logged.toString());
        assertEquals(SafetyState.TRIPPED, s.state());
        s.reset("gogo");
        s.check(System.nanoTime());
        assertTrue(board.motionPermitted(), "the configuration in force still feeds");
    }

    @Test
    void aBadFirstConfigurationAfterStartingOnTheDefaultsTrips() {
        Map<String, Object> sim = new HashMap<>();
        sim.put("realTime", false);
        board.activate(ComponentConfigs.of(SimBoard.Config.class, sim), null);
        // as SCR starts it before FileInstall delivers the robot's configuration: no service.pid yet
        Supervisor s = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, Map.of()), context(), logger(), Map.of());
        try {
            s.addBoard(board);
            s.modified(ComponentConfigs.of(Supervisor.Config.class, Map.of("cycleMicros", 50)));
            assertFalse(s.mayMove(), "the robot's own configuration was refused: the defaults watch nothing of this robot");
            assertEquals("configuration refused: cycleMicros must be 100..100000, was 50", s.tripReason().orElseThrow().message());
            s.modified(ComponentConfigs.of(Supervisor.Config.class, Map.of("cycleMicros", 500)));
            s.reset("gogo");
            assertTrue(s.mayMove());
            s.modified(ComponentConfigs.of(Supervisor.Config.class, Map.of("cycleMicros", 50)));
            assertTrue(s.mayMove(), "now a bad change is refused and the configuration in force stays");
        } finally {
            s.deactivate();
        }
    }

    @Test
    void aLatchedTripSurvivesARestartAndOnlyAResetEndsIt() throws Exception {
        Supervisor first = supervisor();
        first.check(System.nanoTime());
        first.estop("web", "operator pressed E-STOP");
        first.check(System.nanoTime());
        first.deactivate();
        assertTrue(Files.exists(dir.resolve(Supervisor.LATCH_FILE)));

        Supervisor second = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, Map.of()), context(), logger(), false, dir);
        second.addBoard(board);
        assertEquals(SafetyState.TRIPPED, second.state());
        assertEquals("estop:web", second.tripReason().orElseThrow().source());
        assertEquals("latched before restart: operator pressed E-STOP", second.tripReason().get().message());
        assertEquals(1, second.trips());
        second.check(System.nanoTime());
        assertFalse(board.motionPermitted());
        second.deactivate();
        Supervisor again = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, Map.of()), context(), logger(), false, dir);
        assertEquals("latched before restart: operator pressed E-STOP", again.tripReason().orElseThrow().message(), "one prefix, however many restarts");
        second = again;
        second.addBoard(board);
        second.reset("gogo");
        assertFalse(Files.exists(dir.resolve(Supervisor.LATCH_FILE)), "a reset removes the record");
        second.deactivate();
        Supervisor third = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, Map.of()), context(), logger(), false, dir);
        assertTrue(third.mayMove(), "stopped while healthy: starts healthy");

        Files.writeString(dir.resolve(Supervisor.LATCH_FILE), "\u0000garbage");
        Supervisor fourth = new Supervisor(ComponentConfigs.of(Supervisor.Config.class, Map.of()), context(), logger(), false, dir);
        assertFalse(fourth.mayMove(), "an unreadable record counts as a trip");
    }

    @Test
    void theEstopInputActsDuringTheStartupGraceWhileARequiredLoopIsMissing() {
        Supervisor s = supervisor("requiredLoops", new String[] {"left"}, "startupGraceMillis", 10_000, "estopDebounceMillis", 0);
        long t0 = System.nanoTime();
        s.check(t0);
        assertTrue(s.mayMove(), "starting");
        assertFalse(board.motionPermitted(), "nothing fed while a required loop is missing");
        board.modified(ComponentConfigs.of(SimBoard.Config.class, Map.of("realTime", false, "estopPressed", true)));
        s.check(t0 + MS);
        assertFalse(s.mayMove(), "the button works from the first cycle");
        assertEquals("estop:input", s.tripReason().orElseThrow().source());
    }

    @Test
    void aFeedNeverTakesEffectAfterATripsRevoke() throws Exception {
        Supervisor s = supervisor("permitMillis", 1000); // a feed that lands after the revoke would still be in force at the end
        java.util.concurrent.CountDownLatch feeding = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        io.armature.hal.MotionPermit permit = new io.armature.hal.MotionPermit();
        io.armature.hal.Board slow = (io.armature.hal.Board) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {io.armature.hal.Board.class},
                (p, m, a) -> switch (m.getName()) {
                    case "info" -> new io.armature.hal.BoardInfo("slow", "test", "proxy", List.of());
                    case "permitMotion" -> {
                        feeding.countDown();
                        release.await(); // the feed is between its check and its write
                        permit.permit((Long) a[0]);
                        yield null;
                    }
                    case "revokeMotion" -> {
                        permit.revoke();
                        yield null;
                    }
                    case "motionPermitted" -> permit.permitted();
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == a[0];
                    default -> null;
                });
        s.addBoard(slow);
        Thread cycle = new Thread(() -> s.check(System.nanoTime()));
        cycle.start();
        assertTrue(feeding.await(5, java.util.concurrent.TimeUnit.SECONDS));
        Thread estop = new Thread(() -> s.estop("gogo", "while feeding"));
        estop.start();
        Thread.sleep(50); // the e-stop waits for the feed in progress, never the other way round
        release.countDown();
        cycle.join(5_000);
        estop.join(5_000);
        assertFalse(s.mayMove());
        assertFalse(permit.permitted(), "the revoke came after the feed: the board is safe");
        assertFalse(board.motionPermitted());
    }
}
