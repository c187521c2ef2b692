package io.armature.kit.board;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FixedSettingsTest {

    @Test
    void aChangeToAFixedSettingIsRefusedNamingEveryOneThatChanged() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FixedSettings()
                .compare("armature.board", "sim", "sim2").compare("seed", 42L, 42L).compare("unsupervised", false, true).refuseChanges());
        assertEquals("armature.board, unsupervised cannot change while the board runs; restart the bundle to change it. "
                + "The previous configuration stays in force", e.getMessage());
    }

    @Test
    void nothingFixedChangedNothingRefused() {
        assertDoesNotThrow(() -> new FixedSettings().compare("seed", 42L, 42L).compare("root", "/dev", "/dev").refuseChanges());
    }
}
