package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static io.xvio.datapath.GroupsTest.bridge;
import static io.xvio.datapath.GroupsTest.send;
import static io.xvio.datapath.GroupsTest.tcp;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Table misses going to the controllers (an OpenFlow 1.0 connection of controller id 0, or any connection before its
 * version is agreed: every ovs-ofctl command) and back: turned on, the caches evict only what met a miss; turned off,
 * they keep everything (a miss while on is never cached), so an operator's ovs-ofctl does not empty the caches.
 */
class MissModeRevalidationTest {
    @Test
    void turningMissesOnEvictsWhatMetAMissAndTurningThemOffNothing() {
        BridgeDatapath dp = bridge(true, List.of(), "priority=10,tcp,tp_dst=80,actions=output:2");
        byte[] web = tcp(0x0a000001, 0x0a000002, 1000, 80), other = tcp(0x0a000001, 0x0a000002, 1000, 22);
        for (int k = 0; k < 2; k++) {
            assertEquals(Set.of(1), send(dp, web).keySet());
            assertEquals(Set.of(), send(dp, other).keySet(), "no flow: dropped");
        }
        MegaflowStats before = dp.cacheStats(0);
        assertEquals(2, before.entries());

        dp.setPacketInOnMiss(true);
        send(dp, web);
        send(dp, other);
        MegaflowStats on = dp.cacheStats(0);
        assertEquals(1, on.evicted() - before.evicted(), "the miss's entry: " + on);
        assertEquals(0, on.flushes() - before.flushes());
        assertEquals(before.misses() + 1, on.misses(), "only the missing packet translated again: " + on);
        assertEquals(1, on.uncacheable() - before.uncacheable(), "a miss that may go to a controller is not cached");

        dp.setPacketInOnMiss(false);
        send(dp, web);
        MegaflowStats off = dp.cacheStats(0);
        assertEquals(on.revalidations(), off.revalidations(), "nothing to revalidate");
        assertEquals(on.misses(), off.misses(), "the port-80 entry is still there");
        send(dp, other);
        send(dp, other);
        assertEquals(2, dp.cacheStats(0).entries(), "the miss is cached again");
    }
}
