package io.xvio.datapath;

import io.xvio.datapath.action.Learn;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * learn(...) on the PMD side: the translation queues the flow to learn with the packet's source values, the megaflow
 * entry covers those sources (a new source address is a new learning, the same one a cache hit that queues nothing), a
 * full queue drops the learning (counted, not cached), a hit refreshes the learned flow's timers, limit and result_dst
 * as OVS, and a hit of a learning entry allocates nothing.
 */
class LearnDatapathTest {
    private static final long DST = 0x020000000099L, SRC = 0x020000000001L;
    private static final String LEARNING = "priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1234,"
            + "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0x5->NXM_NX_REG0[],output:OXM_OF_IN_PORT[]),output:2";

    record Req(Learn learn, long[] values, LearnRef ref) {}

    private static List<Req> drain(BridgeDatapath dp) {
        List<Req> got = new ArrayList<>();
        dp.learnQueue().drain((l, v, r) -> got.add(new Req(l, v.clone(), r)));
        return got;
    }

    private static void frame(PacketBatch b, int i, long dst, long src) {
        long o = b.off[i];
        for (int k = 0; k < 6; k++) {
            b.data.set(JAVA_BYTE, o + k, (byte) (dst >>> (40 - 8 * k)));
            b.data.set(JAVA_BYTE, o + 6 + k, (byte) (src >>> (40 - 8 * k)));
        }
        b.data.set(JAVA_BYTE, o + 12, (byte) 0x88);
        b.data.set(JAVA_BYTE, o + 13, (byte) 0xb5);
        b.len[i] = 60;
    }

    /** n frames from port index inPort with sources src..src+n-1; returns the outputs. */
    private static Outputs burst(BridgeDatapath dp, int inPort, long src, int n, long now) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < n; i++) frame(b, i, DST, src + i);
        b.count = n;
        Outputs out = new Outputs(8);
        dp.process(inPort, b, out, 0, now);
        return out;
    }

    private static BridgeDatapath bridge(String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        return dp;
    }

    @Test
    void aTranslationQueuesTheLearnedFlowAndTheMegaflowCoversItsSources() {
        BridgeDatapath dp = bridge(LEARNING);
        long now = System.nanoTime();
        assertEquals(2, burst(dp, 0, SRC, 2, now).countFor(1), "the packets go on: output:2");
        List<Req> got = drain(dp);
        assertEquals(2, got.size(), "one learning per source address");
        assertEquals("table=20,priority=1,cookie=0x1234,hard_timeout=300,dl_dst=02:00:00:00:00:01,actions=load:0x5->NXM_NX_REG0[],output:1",
                LearnedFlow.text(got.get(0).learn(), got.get(0).values()));
        assertEquals(SRC + 1, got.get(1).values()[0]);
        assertNotNull(got.get(0).ref(), "a cached translation keeps a handle to refresh the learned flow");

        long misses = dp.cacheStats(0).misses();
        burst(dp, 0, SRC, 2, now);                                   // the same sources: cache hits, nothing queued
        assertEquals(misses, dp.cacheStats(0).misses());
        assertTrue(drain(dp).isEmpty());
        burst(dp, 0, SRC + 7, 1, now);                              // a new source: the entry's mask covers dl_src
        got = drain(dp);
        assertEquals(1, got.size());
        assertEquals(SRC + 7, got.get(0).values()[0]);
        assertEquals(1, got.get(0).values()[1], "in_port, as OXM_OF_IN_PORT: the ofport");
    }

    @Test
    void aHitOfTheLearningEntryRefreshesTheLearnedFlowsTimers() {
        BridgeDatapath dp = bridge(LEARNING);
        Flow learned = FlowParser.parse("table=20,hard_timeout=1,idle_timeout=1,dl_dst=02:00:00:00:00:01,actions=output:1");
        long t0 = learned.createdNanos();
        burst(dp, 0, SRC, 1, t0);
        drain(dp).get(0).ref().bind(learned);                       // what the control thread does once it added it
        assertTrue(learned.expired(t0 + 1_500_000_000L), "without hits, 1 s timeouts pass");
        burst(dp, 0, SRC, 1, t0 + 900_000_000L);                    // a hit of the cached entry
        assertFalse(learned.expired(t0 + 1_500_000_000L), "the hit restarted the hard and idle timers");
        assertTrue(learned.expired(t0 + 1_950_000_000L));
    }

    @Test
    void aHitLearnsAgainOnceWhenTheLearnedFlowLeftTheTables() {
        Flow learning = FlowParser.parse(LEARNING);
        Flow learned = FlowParser.parse("table=20,priority=1,cookie=0x1234,hard_timeout=300,dl_dst=02:00:00:00:00:01,actions=load:0x5->NXM_NX_REG0[],output:1");
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(learning, learned));
        long now = System.nanoTime();
        burst(dp, 0, SRC, 1, now);
        drain(dp).get(0).ref().bind(learned);
        burst(dp, 0, SRC, 1, now);
        assertTrue(drain(dp).isEmpty(), "the flow is there: a hit only refreshes it");
        dp.install(new int[] {1, 2, 3}, List.of(learning));          // a controller deleted it
        burst(dp, 0, SRC, 1, now);
        burst(dp, 0, SRC, 1, now);
        List<Req> again = drain(dp);
        assertEquals(1, again.size(), "the next hit learns it again, once until it is applied");
        assertEquals(SRC, again.get(0).values()[0]);
        assertEquals(LearnedFlow.text(again.get(0).learn(), again.get(0).values()), "table=20,priority=1,cookie=0x1234,hard_timeout=300,"
                + "dl_dst=02:00:00:00:00:01,actions=load:0x5->NXM_NX_REG0[],output:1");
    }

    @Test
    void aFullQueueDropsTheLearningCountedAndUncached() {
        BridgeDatapath dp = bridge(LEARNING);
        long now = System.nanoTime();
        int n = LearnQueue.SLOTS + 14;                               // 270 sources, in bursts of 10
        for (int k = 0; k < n; k += 10) burst(dp, 0, SRC + k, 10, now);
        assertEquals(14, dp.drops().get(DatapathDrops.Reason.LEARN_QUEUE));
        assertEquals(14, dp.cacheStats(0).uncacheable(), "a dropped learning is tried again by the next packet");
        assertEquals(LearnQueue.SLOTS, drain(dp).size());
        burst(dp, 0, SRC + n - 1, 1, now);                          // room again: the path that was not cached learns
        assertEquals(1, drain(dp).size());
    }

    @Test
    void limitAndResultDstAsOvs() {
        String learning = "priority=1,actions=learn(table=20,limit=1,result_dst=NXM_NX_REG1[0],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]),resubmit(,1)";
        String[] rest = {"table=1,priority=2,reg1=0x1/0x1,actions=output:2", "table=1,priority=1,actions=output:3"};
        BridgeDatapath dp = bridge(learning, rest[0], rest[1]);
        long now = System.nanoTime();
        assertEquals(1, burst(dp, 0, SRC, 1, now).countFor(1), "below the limit: learned, result bit 1");
        assertEquals(1, drain(dp).size());

        List<Flow> fs = new ArrayList<>();
        for (String f : new String[] {learning, rest[0], rest[1], "table=20,priority=32768,dl_dst=02:00:00:00:00:01,actions=drop"})
            fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        long unc = dp.cacheStats(0).uncacheable();
        assertEquals(1, burst(dp, 0, SRC + 1, 1, now).countFor(2), "limit reached: nothing learned, result bit 0");
        assertTrue(drain(dp).isEmpty());
        assertEquals(unc + 1, dp.cacheStats(0).uncacheable(), "as OVS, a refused learning is not cached");
        assertEquals(1, burst(dp, 0, SRC, 1, now).countFor(1), "its own flow is there: found, result bit 1");
        assertEquals(1, drain(dp).size());

        // the same match with other actions is a new flow to OVS (it would replace the one there): refused at the limit
        BridgeDatapath other = bridge(learning, rest[0], rest[1]);
        fs.set(3, FlowParser.parse("table=20,priority=32768,dl_dst=02:00:00:00:00:01,actions=output:3"));
        other.install(new int[] {1, 2, 3}, fs);
        assertEquals(1, burst(other, 0, SRC, 1, now).countFor(2), "limit reached, the flow there differs: not replaced, result bit 0");
        assertTrue(drain(other).isEmpty());
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void hitsOfALearningEntryAllocateNothing() {
        BridgeDatapath dp = bridge(LEARNING);
        Flow learned = FlowParser.parse("table=20,dl_dst=02:00:00:00:00:01,actions=output:1");
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(8);
        long now = System.nanoTime();
        for (int round = 0; round < 2000; round++) {                 // warm up: learn once, then hits
            b.reset();
            for (int i = 0; i < 32; i++) frame(b, i, DST, SRC + (i & 3));
            b.count = 32;
            out.clear();
            dp.process(0, b, out, 0, now + round * 1_000_000L);
            if (round == 0) for (Req r : drain(dp)) r.ref().bind(learned);
        }
        long before = allocated();
        for (int round = 0; round < 1000; round++) {
            b.reset();
            for (int i = 0; i < 32; i++) frame(b, i, DST, SRC + (i & 3));
            b.count = 32;
            out.clear();
            dp.process(0, b, out, 0, now + (2000 + round) * 1_000_000L);
        }
        long used = allocated() - before;
        assertTrue(used < 4096, used + " bytes allocated by 32,000 hits of learning entries");
        assertTrue(learned.refreshedNanos > now + 2_000_000_000L, "the hits refreshed the learned flow");
    }
}
