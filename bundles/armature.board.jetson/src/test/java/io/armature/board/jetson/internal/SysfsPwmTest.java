package io.armature.board.jetson.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.board.jetson.fake.FakeSysfsPwmTree;

class SysfsPwmTest {

    private static final Path CHIP = Path.of("/sys/class/pwm/pwmchip0");
    private final PwmKernelModel kernel = new PwmKernelModel();

    SysfsPwmTest() {
        kernel.addChip(CHIP, 4);
    }

    @Test
    void theModelAnswersAsTheKernel() throws IOException {
        assertThrows(NoSuchFileException.class, () -> kernel.write(CHIP.resolve("pwm1/period"), "1000"), "not exported yet");
        kernel.write(CHIP.resolve("export"), "1");
        IOException busy = assertThrows(IOException.class, () -> kernel.write(CHIP.resolve("export"), "1"));
        assertTrue(busy.getMessage().contains("EBUSY"));
        assertThrows(IOException.class, () -> kernel.write(CHIP.resolve("pwm1/enable"), "1"), "enable before a period");
        assertThrows(IOException.class, () -> kernel.write(CHIP.resolve("pwm1/duty_cycle"), "0"), "duty before a period");
        kernel.write(CHIP.resolve("pwm1/period"), "1000");
        assertThrows(IOException.class, () -> kernel.write(CHIP.resolve("pwm1/duty_cycle"), "1001"));
        kernel.write(CHIP.resolve("pwm1/duty_cycle"), "600");
        assertThrows(IOException.class, () -> kernel.write(CHIP.resolve("pwm1/period"), "500"), "period below the duty");
        assertEquals("1000", kernel.read(CHIP.resolve("pwm1/period")), "a refused write changes nothing");
    }

    @Test
    void openExportsSetsThePeriodFirstAndEnablesAtDutyZero() throws IOException {
        SysfsPwm pwm = new SysfsPwm(kernel, CHIP, 2);
        pwm.open(50_000, 100);
        assertEquals(List.of("export=2", "pwm2/period=50000", "pwm2/enable=1"), kernel.writes);
        PwmKernelModel.Channel c = kernel.channel(CHIP, 2);
        assertEquals(0, c.duty);
        assertTrue(c.enabled);
        assertEquals(0, kernel.refused);
    }

    @Test
    void aChannelLeftRunningIsTakenOverAndStoppedFirst() throws IOException {
        kernel.write(CHIP.resolve("export"), "0");
        kernel.write(CHIP.resolve("pwm0/period"), "100000");
        kernel.write(CHIP.resolve("pwm0/duty_cycle"), "70000");
        kernel.write(CHIP.resolve("pwm0/enable"), "1");
        kernel.writes.clear();
        new SysfsPwm(kernel, CHIP, 0).open(50_000, 100);
        assertEquals(List.of("pwm0/duty_cycle=0", "pwm0/period=50000"), kernel.writes, "no second export (EBUSY), duty 0 before anything");
        assertEquals(0, kernel.refused);
    }

    @Test
    void dutyScalesToNanosecondsWithZeroAndFullExact() throws IOException {
        SysfsPwm pwm = new SysfsPwm(kernel, CHIP, 0);
        pwm.open(50_000, 100);
        pwm.duty16(65535);
        assertEquals(50_000, kernel.channel(CHIP, 0).duty);
        pwm.duty16(32768);
        assertEquals(25_000, kernel.channel(CHIP, 0).duty, "32768/65535 of 50000 ns is 25000.38 ns: nearest 25000");
        pwm.duty16(1);
        assertEquals(1, kernel.channel(CHIP, 0).duty, "0.76 ns rounds to 1");
        pwm.duty16(0);
        assertEquals(0, kernel.channel(CHIP, 0).duty);
    }

    @Test
    void raisingTheFrequencyWritesTheDutyBeforeTheShorterPeriod() throws IOException {
        SysfsPwm pwm = new SysfsPwm(kernel, CHIP, 0);
        pwm.open(1_000_000, 100); // 1 kHz
        pwm.duty16(60_000);
        kernel.writes.clear();
        pwm.apply(50_000, io.armature.kit.board.DutyScale.toNanos(60_000, 50_000)); // to 20 kHz at the same duty
        assertEquals(List.of("pwm0/duty_cycle=45777", "pwm0/period=50000"), kernel.writes);
        assertEquals(0, kernel.refused, "period first would have been EINVAL: 915541 ns of duty in a 50000 ns period");
    }

    @Test
    void loweringTheFrequencyWritesTheLongerPeriodBeforeTheDuty() throws IOException {
        SysfsPwm pwm = new SysfsPwm(kernel, CHIP, 0);
        pwm.open(50_000, 100); // 20 kHz
        pwm.duty16(60_000);
        kernel.writes.clear();
        pwm.apply(1_000_000, io.armature.kit.board.DutyScale.toNanos(60_000, 1_000_000)); // to 1 kHz
        assertEquals(List.of("pwm0/period=1000000", "pwm0/duty_cycle=915541"), kernel.writes);
        assertEquals(0, kernel.refused, "duty first would have been EINVAL: 915541 ns of duty in a 50000 ns period");
    }

    @Test
    void theFileImplementationDrivesARealTreeThatBehavesLikeTheKernel(@TempDir Path sys) throws Exception {
        try (FakeSysfsPwmTree tree = new FakeSysfsPwmTree(sys)) {
            Path chip = tree.addChip(2, "32c0000.pwm", 1);
            assertNull(tree.attribute(2, 0, "period"), "nothing but export exists before the export");
            SysfsPwm pwm = new SysfsPwm(SysfsAccess.FILES, chip, 0);
            pwm.open(50_000, 2000);
            assertEquals("50000", tree.attribute(2, 0, "period"));
            assertEquals("1", tree.attribute(2, 0, "enable"));
            pwm.duty16(32768);
            assertEquals("25000", tree.attribute(2, 0, "duty_cycle"));
            pwm.apply(1_000_000, 500_000);
            pwm.apply(40_000, 0);
            Thread.sleep(20); // let the fake kernel look at the last state
            assertEquals("40000", tree.attribute(2, 0, "period"));
            assertEquals("0", tree.attribute(2, 0, "duty_cycle"));
            assertEquals(List.of(), tree.violations());
        }
    }

    @Test
    void aChannelThatNeverAppearsAfterItsExportIsAClearError(@TempDir Path sys) throws IOException {
        Path chip = java.nio.file.Files.createDirectories(sys.resolve("class/pwm/pwmchip0"));
        java.nio.file.Files.writeString(chip.resolve("export"), "");
        IOException e = assertThrows(IOException.class, () -> new SysfsPwm(SysfsAccess.FILES, chip, 0).open(50_000, 50));
        assertTrue(e.getMessage().contains("did not become writable within 50 ms"), e.getMessage());
    }
}
