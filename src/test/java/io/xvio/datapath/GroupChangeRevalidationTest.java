package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.xvio.datapath.GroupsTest.bridge;
import static io.xvio.datapath.GroupsTest.send;
import static io.xvio.datapath.GroupsTest.tcp;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A group change evicts only the cached translations that ran a changed group (OVN changes a load balancer's group
 * when its endpoints change: the other traffic keeps its megaflows), and those follow the new buckets; a group that
 * another group's bucket watches changing empties the caches (the watcher's liveness is not recorded).
 */
class GroupChangeRevalidationTest {
    /** dp's groups with those of texts put in (a group_mod: the others stay the objects they are). */
    private static Map<Long, Group> groups(BridgeDatapath dp, String... texts) {
        Map<Long, Group> gs = new HashMap<>(dp.groups());
        for (String t : texts) { Group g = GroupParser.parse(t); gs.put(g.id, g); }
        return gs;
    }

    @Test
    void onlyTheEntriesThatRanTheChangedGroupGo() {
        BridgeDatapath dp = bridge(true, List.of("group_id=1,type=indirect,bucket=output:2", "group_id=2,type=indirect,bucket=output:3"),
                "priority=10,tcp,tp_dst=80,actions=group:1", "priority=10,tcp,tp_dst=443,actions=group:2", "priority=1,actions=output:4");
        byte[] web = tcp(0x0a000001, 0x0a000002, 1000, 80), tls = tcp(0x0a000001, 0x0a000002, 1000, 443), other = tcp(0x0a000001, 0x0a000002, 1000, 22);
        for (int k = 0; k < 2; k++) {
            assertEquals(Set.of(1), send(dp, web).keySet());
            assertEquals(Set.of(2), send(dp, tls).keySet());
            assertEquals(Set.of(3), send(dp, other).keySet());
        }
        MegaflowStats before = dp.cacheStats(0);
        assertEquals(3, before.entries());

        dp.setGroups(groups(dp, "group_id=1,type=indirect,bucket=output:4"));
        assertEquals(Set.of(3), send(dp, web).keySet(), "the changed group's new bucket");
        assertEquals(Set.of(2), send(dp, tls).keySet());
        assertEquals(Set.of(3), send(dp, other).keySet());
        MegaflowStats after = dp.cacheStats(0);
        assertEquals(1, after.evicted() - before.evicted(), "the entry that ran group 1: " + after);
        assertEquals(0, after.flushes() - before.flushes());
        assertEquals(before.misses() + 1, after.misses(), "only the port-80 packet was translated again");

        Map<Long, Group> without1 = groups(dp);
        without1.remove(1L);
        dp.setGroups(without1);                                                 // group 1 goes (its flows would go too)
        send(dp, tls);
        assertEquals(before.misses() + 1, dp.cacheStats(0).misses(), "group 2's entry outlives group 1");
    }

    @Test
    void aWatchedGroupChangingEmptiesTheCaches() {
        BridgeDatapath dp = bridge(true, List.of(
                "group_id=1,type=fast_failover,bucket=watch_group:2,actions=output:2,bucket=watch_port:3,actions=output:3",
                "group_id=2,type=select,bucket=weight:1,actions=output:4"), "in_port=1,actions=group:1");
        byte[] f = tcp(1, 2, 3, 4);
        assertEquals(Set.of(1), send(dp, f).keySet());
        assertEquals(Set.of(1), send(dp, f).keySet());
        dp.setGroups(groups(dp, "group_id=2,type=select,bucket=weight:0,actions=output:4"));
        assertEquals(Set.of(2), send(dp, f).keySet(), "group 2 is no longer live: group 1 takes its second bucket");
    }
}
