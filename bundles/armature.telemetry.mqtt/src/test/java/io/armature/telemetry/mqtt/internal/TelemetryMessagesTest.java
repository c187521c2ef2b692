package io.armature.telemetry.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;
import io.armature.testing.FakeLoop;

/** A loop's telemetry message: its first one waits a moment for the loop's statistics, so that a device is born once with every metric. */
class TelemetryMessagesTest {

    private final RobotServices robot = new RobotServices(() -> null);
    private long now;
    private final TelemetryMessages messages = new TelemetryMessages(robot, (kind, name) -> kind + "/" + name, () -> now);

    private static LoopStatistics statistics(String name) {
        return (LoopStatistics) Proxy.newProxyInstance(LoopStatistics.class.getClassLoader(), new Class<?>[] {LoopStatistics.class},
                (p, m, a) -> switch (m.getName()) {
                    case "name" -> name;
                    case "rateHz" -> 1000.0;
                    case "failure" -> Optional.empty();
                    case "allocatedBytesPerCycle" -> 0.0;
                    case "equals" -> p == a[0];
                    case "hashCode" -> System.identityHashCode(p);
                    default -> m.getReturnType() == long.class ? 0L : m.getReturnType() == int.class ? 0 : m.getReturnType() == boolean.class ? false : null;
                });
    }

    private List<String> fieldsOf(String address) {
        return messages.collect().stream().filter(m -> m.address.equals(address)).findFirst()
                .map(m -> m.fields.list().stream().map(Fields.Field::name).toList()).orElse(List.of());
    }

    @Test
    void aNewLoopIsReportedOnceItsStatisticsAreThereWithEveryMetric() {
        robot.add(robot.loops, new FakeLoop("left", 30), Map.of(ControlLoop.PROPERTY_NAME, "left"));
        assertEquals(List.of(), fieldsOf("LOOP/left"), "not yet: its engine starts it a moment after it registers");
        now += TelemetryMessages.STATISTICS_GRACE_NANOS / 2;
        assertEquals(List.of(), fieldsOf("LOOP/left"));
        robot.add(robot.statistics, statistics("left"), Map.of(ControlLoop.PROPERTY_NAME, "left"));
        assertEquals(List.of("setpoint", "measurement", "output", "unit", "controller", "fault", "rateHz", "cycles", "overruns",
                "latenessP99Micros", "latenessMaxMicros", "failure"), fieldsOf("LOOP/left"), "first reported with every metric");
    }

    @Test
    void aLoopThatNoEngineRunsIsReportedWithoutStatisticsAfterTheGraceAndAReportedLoopIsNeverLeftOut() {
        FakeLoop left = new FakeLoop("left", 30);
        robot.add(robot.loops, left, Map.of(ControlLoop.PROPERTY_NAME, "left"));
        assertEquals(List.of(), fieldsOf("LOOP/left"));
        now += TelemetryMessages.STATISTICS_GRACE_NANOS;
        List<String> withoutStatistics = List.of("setpoint", "measurement", "output", "unit", "controller", "fault");
        assertEquals(withoutStatistics, fieldsOf("LOOP/left"), "after the grace, what there is");

        LoopStatistics st = statistics("left");
        robot.add(robot.statistics, st, Map.of(ControlLoop.PROPERTY_NAME, "left"));
        assertEquals(12, fieldsOf("LOOP/left").size());
        robot.remove(robot.statistics, st); // its engine restarts: the loop stays reported, not dead and born again
        assertEquals(withoutStatistics, fieldsOf("LOOP/left"));
    }
}
