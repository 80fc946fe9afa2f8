package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static io.xvio.datapath.GroupsTest.bridge;
import static io.xvio.datapath.GroupsTest.send;
import static io.xvio.datapath.GroupsTest.tcp;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Which bucket a group takes, as OVS takes it: a dp_hash select group's table has room for every bucket (OVN's load
 * balancers may have hundreds of backends), weights up to 65535 weigh what they say, and a bucket is live when any
 * of what it watches is (OVS's bucket_is_alive).
 */
class GroupSelectionLikeOvsTest {
    /** A select group (selection as given) of n buckets of weight w, bucket x sending to port 2. */
    private static String selectGroup(String selection, int n, int w) {
        StringBuilder g = new StringBuilder("group_id=1,type=select" + selection);
        for (int x = 0; x < n; x++) g.append(",bucket=bucket_id:").append(x).append(",weight:").append(w).append(",actions=output:2");
        return g.toString();
    }

    @Test
    void everyBucketOfAHundredBucketDpHashGroupTakesConnections() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(selectGroup("", 100, 100)), "actions=group:1");
            for (int c = 0; c < 2000; c++) assertEquals(Set.of(1), send(dp, tcp(0x0a000001 + c, 0x0a640001, 1024 + c, 80)).keySet());
            Group g = dp.groups().get(1L);
            assertTrue(g.usesDpHash(), "100 buckets of one weight fit 256 dp_hash slots");
            List<Integer> idle = new ArrayList<>();
            for (int x = 0; x < 100; x++) if (g.bucketPacketCount(x) == 0) idle.add(x);
            assertEquals(List.of(), idle, "cached " + cached + ": buckets that never took one of 2000 connections (about 20 each)");
        }
    }

    @Test
    void lightBucketsBesideAHeavyOneStillGetTheirShare() {
        BridgeDatapath dp = bridge(true, List.of("group_id=1,type=select,bucket=weight:200,actions=output:2,"
                + "bucket=weight:1,actions=output:3,bucket=weight:1,actions=output:4"), "in_port=1,actions=group:1");
        int[] per = new int[4];
        for (int c = 0; c < 3000; c++) for (int p : send(dp, tcp(0x0a000001 + c, 0x0a640001, 1024 + c, 80)).keySet()) per[p]++;
        assertTrue(per[2] > 0 && per[3] > 0, "weights 1 of 202 get one of 256 dp_hash slots each (not none of 64): " + Arrays.toString(per));
        assertTrue(per[2] < 60 && per[3] < 60, "and about 1/256 of the connections: " + Arrays.toString(per));
    }

    @Test
    void weightsNeedingMoreThan256SlotsChooseByHashInOnePass() {
        BridgeDatapath dp = bridge(true, List.of(
                "group_id=1,type=select,bucket=weight:1000,actions=output:2,bucket=weight:1,actions=output:3"), "actions=group:1");
        Group g = dp.groups().get(1L);
        assertFalse(g.usesDpHash(), "1001 slots would be needed: OVS falls back to its default selection");
        int[] per = new int[4];
        for (int c = 0; c < 1000; c++) for (int p : send(dp, tcp(0x0a000001 + c, 0x0a640001, 1024 + c, 80)).keySet()) per[p]++;
        assertEquals(1000, per[1] + per[2], "every connection to one of the two");
        assertTrue(per[1] > 980, "by weight: " + Arrays.toString(per));
        assertEquals(0, dp.recirculations().size(), "no recirculation");
    }

    @Test
    void theHeaviestWeightDoesNotOverflowTheHashScore() {
        for (String selection : List.of(",selection_method=hash,fields(ip_src)", ",selection_method=hash")) {
            BridgeDatapath dp = bridge(true, List.of(
                    "group_id=1,type=select" + selection + ",bucket=weight:65535,actions=output:2"), "ip,actions=group:1");
            for (int c = 0; c < 300; c++)
                assertEquals(Set.of(1), send(dp, tcp(0x0a000001 + c, 0x0a640001, 1024 + c, 80)).keySet(), selection + ": connection " + c);
            assertEquals(0, dp.drops().get(DatapathDrops.Reason.GROUP_NO_LIVE_BUCKET));

            BridgeDatapath two = bridge(true, List.of("group_id=1,type=select" + selection
                    + ",bucket=weight:65535,actions=output:2,bucket=weight:1,actions=output:3"), "ip,actions=group:1");
            int[] per = new int[4];
            for (int c = 0; c < 600; c++) for (int p : send(two, tcp(0x0a000001 + c, 0x0a640001, 1024 + c, 80)).keySet()) per[p]++;
            assertTrue(per[2] < 6, selection + ": weight 1 against 65535 takes (almost) nothing: " + Arrays.toString(per));
        }
    }

    @Test
    void aBucketWatchingAPortAndAGroupIsLiveWhenEitherIs() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(
                    "group_id=1,type=fast_failover,bucket=watch_port:1,watch_group:2,actions=output:4,bucket=watch_port:3,actions=output:3",
                    "group_id=2,type=indirect,bucket=actions=output:2"), "in_port=2,actions=group:1");
            dp.setLive(new boolean[] {false, true, true, true});
            assertEquals(Set.of(3), send(dp, 1, tcp(1, 2, 3, 4)).keySet(), "cached " + cached + ": port 1 down, group 2 live: bucket 0");
        }
    }

    @Test
    void aSelectGroupOfWeightZeroBucketsIsNotLive() {
        BridgeDatapath dp = bridge(true, List.of(
                "group_id=1,type=fast_failover,bucket=watch_group:2,actions=output:4,bucket=watch_port:3,actions=output:3",
                "group_id=2,type=select,bucket=weight:0,actions=output:2"), "in_port=2,actions=group:1");
        assertEquals(Set.of(2), send(dp, 1, tcp(1, 2, 3, 4)).keySet(), "group 2 has no bucket a packet could take: bucket 1");
    }
}
