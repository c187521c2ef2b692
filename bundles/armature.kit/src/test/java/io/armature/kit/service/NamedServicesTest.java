package io.armature.kit.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;

/** Services tracked by name. */
class NamedServicesTest {

    private record Named(String name, String label) {
    }

    @Test
    void rankedTheHighestRankingIsUsedTheNewestOfEquals() {
        NamedServices<Named> s = NamedServices.byNameRanked(Named::name);
        Named live = new Named("imu", "live");
        Named replay = new Named("imu", "replay");
        Named later = new Named("imu", "later");
        s.add(live, Map.of());
        s.add(replay, Map.of(Constants.SERVICE_RANKING, 10));
        s.add(later, Map.of(Constants.SERVICE_RANKING, 0));
        assertEquals(replay, s.get("imu"));
        s.remove(replay);
        assertEquals(later, s.get("imu"), "the newest of equals");
        s.remove(later);
        s.remove(live);
        assertNull(s.get("imu"));
    }

    @Test
    void instancesComeByNameAndOfOneNameInArrivalOrder() {
        NamedServices<Named> s = NamedServices.byName(Named::name);
        Named b1 = new Named("b", "1");
        Named a = new Named("a", "1");
        Named b2 = new Named("b", "2");
        s.add(b1);
        s.add(a);
        s.add(b2);
        assertEquals(List.of(a, b1, b2), s.instances());
        assertEquals(b2, s.get("b"));
    }
}
