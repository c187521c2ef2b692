package io.armature.kit.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class StreamChoiceTest {

    @Test
    void aReplayRankedAboveTheLiveStreamIsReadWhileItPlaysThenTheLiveOneAgain() {
        StreamChoice<String> choice = new StreamChoice<>();
        assertTrue(choice.add("live", Map.of()));
        assertEquals("live", choice.chosen());
        assertTrue(choice.add("replay", Map.of("service.ranking", 1000)));
        assertEquals("replay", choice.chosen());
        assertFalse(choice.add("other live", Map.of()), "a lower-ranked newcomer changes nothing");
        assertTrue(choice.remove("replay"));
        assertEquals("other live", choice.chosen(), "the newest of the equals");
        assertFalse(choice.remove("nobody"));
        choice.remove("other live");
        choice.remove("live");
        assertNull(choice.chosen());
    }
}
