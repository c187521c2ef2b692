package io.armature.board.jetson.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JNA side of the GPIO character device against the kernel's ABI (include/uapi/linux/gpio.h):
 * structure sizes and field offsets, ioctl numbers, and real system calls on a file that is not
 * a GPIO chip. There is no /dev/gpiochip on a build machine, so requesting lines is tested on
 * the in-memory kernel model instead.
 */
class GpioUapiTest {

    @Test
    void structuresHaveTheKernelsSizesAndOffsets() {
        assertEquals(68, new GpioUapi.ChipInfo().size());
        assertEquals(16, new GpioUapi.LineAttribute().size());
        assertEquals(24, new GpioUapi.LineConfigAttribute().size());
        assertEquals(272, new GpioUapi.LineConfig().size());
        GpioUapi.LineRequest request = new GpioUapi.LineRequest();
        assertEquals(592, request.size());
        request.consumer[0] = 'a';
        request.config.attrs[0].attr.id = 7;
        request.num_lines = 11;
        request.event_buffer_size = 13;
        request.fd = 17;
        request.write();
        assertEquals('a', request.getPointer().getByte(256), "consumer at 256");
        assertEquals(7, request.getPointer().getInt(288 + 32), "config at 288, its attrs at 32");
        assertEquals(11, request.getPointer().getInt(560), "num_lines at 560");
        assertEquals(13, request.getPointer().getInt(564), "event_buffer_size at 564");
        assertEquals(17, request.getPointer().getInt(588), "fd at 588");
        assertEquals(16, new GpioUapi.LineValues().size());
        GpioUapi.LineEvent event = new GpioUapi.LineEvent();
        assertEquals(48, event.size());
        event.getPointer().setLong(0, 123_456_789L);
        event.getPointer().setInt(8, GpioUapi.GPIO_V2_LINE_EVENT_FALLING_EDGE);
        event.getPointer().setInt(20, 5);
        event.read();
        assertEquals(123_456_789L, event.timestamp_ns);
        assertEquals(2, event.id, "id at 8");
        assertEquals(5, event.line_seqno, "line_seqno at 20");
        assertEquals(8, new GpioUapi.PollFd().size());
    }

    @Test
    void ioctlNumbersAreTheKernels() {
        assertEquals(0x8044B401L, GpioUapi.GPIO_GET_CHIPINFO_IOCTL);
        assertEquals(0xC250B407L, GpioUapi.GPIO_V2_GET_LINE_IOCTL);
        assertEquals(0xC010B40EL, GpioUapi.GPIO_V2_LINE_GET_VALUES_IOCTL);
        assertEquals(0xC010B40FL, GpioUapi.GPIO_V2_LINE_SET_VALUES_IOCTL);
    }

    @Test
    void theOutputRequestCarriesItsInitialLevelInTheKernelsLayout() {
        GpioUapi.LineRequest r = new GpioUapi.LineRequest();
        r.offsets[0] = 43;
        r.num_lines = 1;
        r.config.flags = GpioUapi.GPIO_V2_LINE_FLAG_OUTPUT;
        r.config.num_attrs = 1;
        r.config.attrs[0].attr.id = GpioUapi.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
        r.config.attrs[0].attr.value = 1;
        r.config.attrs[0].mask = 1;
        r.write();
        assertEquals(43, r.getPointer().getInt(0));
        assertEquals(8L, r.getPointer().getLong(288), "config.flags: GPIO_V2_LINE_FLAG_OUTPUT");
        assertEquals(1, r.getPointer().getInt(296), "config.num_attrs");
        assertEquals(2, r.getPointer().getInt(320), "attrs[0].attr.id: OUTPUT_VALUES");
        assertEquals(1L, r.getPointer().getLong(328), "attrs[0].attr.values");
        assertEquals(1L, r.getPointer().getLong(336), "attrs[0].mask");
        assertEquals(1, r.getPointer().getInt(560), "num_lines");
    }

    @Test
    void aFileThatIsNotAGpioChipIsRefusedByTheKernelWithItsReason(@TempDir Path dev) throws IOException {
        Path notAChip = Files.writeString(dev.resolve("gpiochip0"), "");
        IOException e = assertThrows(IOException.class, () -> new ChardevGpioDriver().open(notAChip));
        assertTrue(e.getMessage().contains("is not a GPIO chip") && e.getMessage().contains("Inappropriate ioctl"), e.getMessage());
    }

    @Test
    void aMissingChipIsNoSuchFile(@TempDir Path dev) {
        assertThrows(NoSuchFileException.class, () -> new ChardevGpioDriver().open(dev.resolve("gpiochip7")));
    }
}
