package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Groups chained in groups multiply their buckets: one packet's translation runs at most
 * {@link BridgeDatapath#MAX_RESUBMITS} lookups and buckets (OVS's MAX_RESUBMITS), so a table of two 100-bucket
 * levels (10,000 runs) is cut short, counted once as a drop and never cached, instead of holding the PMD thread.
 */
class GroupFanOutLimitTest {
    private static String allGroup(long id, int n, String action) {
        StringBuilder g = new StringBuilder("group_id=" + id + ",type=all");
        for (int x = 0; x < n; x++) g.append(",bucket=").append(action);
        return g.toString();
    }

    /** Runs one frame from port index 0 through dp; returns the frames it sent to port index 1. */
    private static int send(BridgeDatapath dp) {
        PacketBatch b = new PacketBatch();
        byte[] f = GroupsTest.tcp(0x0a000001, 0x0a000002, 1000, 80);
        MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[0], f.length);
        b.len[0] = f.length;
        b.count = 1;
        Outputs out = new Outputs(16);
        dp.process(0, b, out, 0, System.nanoTime());
        return out.countFor(1);
    }

    @Test
    void tenThousandBucketRunsForOnePacketAreCutShortAndCountedOnce() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = GroupsTest.bridge(cached, List.of(allGroup(2, 100, "output:3"), allGroup(1, 100, "group:2")),
                    "in_port=1,actions=group:1");
            for (int k = 0; k < 3; k++) send(dp);
            assertEquals(3, dp.drops().get(DatapathDrops.Reason.RESUBMITS), "cached " + cached + ": once per packet");
            assertEquals(0, dp.cacheStats(0).entries(), "cached " + cached + ": never cached");
        }
    }

    @Test
    void theLimitIsPerTranslationAResumeAfterAnOverrunStartsAfresh() {
        BridgeDatapath dp = GroupsTest.bridge(false, List.of(allGroup(2, 100, "output:3"), allGroup(1, 100, "group:2")),
                "in_port=1,actions=group:1", "table=4,actions=output:2");
        send(dp);                                                 // thread 0 runs out of its budget
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(16);
        Match meta = new Match().set(Field.IN_PORT, 1, Field.IN_PORT.fullMask());
        dp.resume(1, GroupsTest.tcp(1, 2, 3, 4), meta, new long[0],
                List.of(new Paused.Frame(0, 0, FlowParser.parseActionList("resubmit(,4)"))), b, out, 0, System.nanoTime());
        assertEquals(1, out.countFor(1), "the resumed packet's own lookup runs");
        assertEquals(1, dp.drops().get(DatapathDrops.Reason.RESUBMITS));
    }

    @Test
    void fanOutWithinTheLimitRunsWhole() {
        BridgeDatapath dp = GroupsTest.bridge(false, List.of(allGroup(2, 20, "output:2"), allGroup(1, 20, "group:2")),
                "in_port=1,actions=group:1");
        assertTrue(send(dp) > 0);
        assertEquals(0, dp.drops().get(DatapathDrops.Reason.RESUBMITS), "400 runs are fine");
        assertEquals(20, dp.groups().get(2L).packetCount(), "group 2 ran once per bucket of group 1");
        assertEquals(20, dp.groups().get(2L).bucketPacketCount(19), "each time with all its buckets: 400 runs");
    }
}
