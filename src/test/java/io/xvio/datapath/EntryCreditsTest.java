package io.xvio.datapath;

import io.xvio.datapath.conntrack.Fragmenter;
import io.xvio.datapath.conntrack.Frames;
import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Flow counters credited per burst from the cache entry ({@link MegaflowCache.Entry#counted}, {@link EntryCredits}):
 * every flow of a long pipeline counts each packet and byte as the uncached walk does, a meter that drops packets
 * ends the counting of the flows after it, a VLAN tag a flow pushes is in the bytes of the flows after it, and a
 * thread with more entries in flight than its list holds credits early and loses nothing.
 */
class EntryCreditsTest {
    private static List<Long> counts(BridgeDatapath dp, boolean bytes) {
        List<Long> c = new ArrayList<>();
        for (Flow f : dp.flows()) c.add(bytes ? f.byteCount() : f.packetCount());
        return c;
    }

    @Test
    void aThirtyTablePipelineWithAMeterCountsAsTheUncachedWalk() {
        List<String> flows = new ArrayList<>();
        for (int t = 0; t < 30; t++) {
            String next = t == 29 ? "output:2" : "resubmit(," + (t + 1) + ")";
            String meter = t == 20 ? "meter:1," : "";
            flows.add("table=" + t + ",priority=1,ip,actions=" + meter + "load:" + t + "->NXM_NX_REG" + (t % 16) + "[]," + next);
        }
        String meter = "meter=1,pktps,burst,stats,bands=type=drop,rate=10,burst_size=5";
        List<List<Long>> seen = new ArrayList<>();
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = MeterDatapathTest.bridge(cached, meter, flows.toArray(String[]::new));
            assertArrayEquals(new int[] {0, 5, 0}, MeterDatapathTest.send(dp, 100, MeterDatapathTest.T0), "cached=" + cached);
            List<Long> packets = counts(dp, false), bytes = counts(dp, true);
            for (int t = 0; t < 30; t++) {
                long want = t <= 20 ? 100 : 5;          // table 20's flow is hit, then its meter drops 95
                assertEquals(want, packets.get(t), "table " + t + ", cached=" + cached);
                assertEquals(want * 100, bytes.get(t), "bytes of table " + t + ", cached=" + cached);
            }
            seen.add(packets);
        }
        assertEquals(seen.get(1), seen.get(0));
    }

    @Test
    void aPushedTagIsInTheBytesOfTheFlowsAfterIt() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = MeterDatapathTest.bridge(cached, "meter=1,pktps,bands=type=drop,rate=10",
                    "table=0,priority=1,actions=resubmit(,1)", "table=1,priority=1,actions=mod_vlan_vid:10,resubmit(,2)",
                    "table=2,priority=1,actions=resubmit(,3)", "table=3,priority=1,actions=output:2");
            MeterDatapathTest.send(dp, 70, MeterDatapathTest.T0);
            assertEquals(List.of(70L, 70L, 70L, 70L), counts(dp, false), "cached=" + cached);
            assertEquals(List.of(7000L, 7000L, 7280L, 7280L), counts(dp, true), "cached=" + cached);
        }
    }

    @Test
    void moreEntriesThanTheListHoldsAreCreditedEarlyAndAllCount() {
        Flow first = FlowParser.parse("table=0,actions=resubmit(,1)"), second = FlowParser.parse("table=1,actions=drop");
        MegaflowCache.Recorder r = new MegaflowCache.Recorder();
        r.reset(new long[FlowKey.WORDS]);
        r.lookup(0, first);
        r.lookup(1, second);
        r.drop(DatapathDrops.Reason.NO_MATCH);
        EntryCredits credits = new EntryCredits();
        List<MegaflowCache.Entry> entries = new ArrayList<>();
        for (int i = 0; i < EntryCredits.MAX * 3 + 7; i++) entries.add(MegaflowCache.Entry.cached(r));
        MegaflowCache.Entry e0 = entries.getFirst();
        assertEquals(2, e0.counted.length, "both lookups came before any op that ends or resizes a packet");
        assertEquals(1, e0.nops, "only the drop is left to replay");
        for (MegaflowCache.Entry e : entries) credits.add(e, 2, 128, 0, 5);
        for (MegaflowCache.Entry e : entries) credits.add(e, 1, 64, 0, 5);      // again, in the same burst
        assertTrue(first.packetCount() > 0, "a full list is credited before it takes more");
        credits.credit(0, 5);
        long n = entries.size();
        assertEquals(3 * n, first.packetCount());
        assertEquals(3 * n, second.packetCount());
        assertEquals(192 * n, second.byteCount());
        credits.credit(0, 6);
        assertEquals(3 * n, first.packetCount(), "credited once");
    }

    @Test
    void lookupsAfterAConntrackStayOpsUnlessTheEntryMatchesNoFragment() {
        Flow a = FlowParser.parse("table=0,ip,actions=ct(table=1)"), b = FlowParser.parse("table=1,actions=drop");
        for (boolean unfragmented : new boolean[] {false, true}) {
            MegaflowCache.Recorder r = new MegaflowCache.Recorder();
            r.reset(new long[FlowKey.WORDS]);
            if (unfragmented) r.unwildcard(FlowKey.NW_FRAG, 7);            // nw_frag=0/7: no fragment takes it
            r.lookup(0, a);
            r.conntrack((io.xvio.datapath.action.Ct) a.actions.getFirst(), 0);
            r.lookup(1, b);
            MegaflowCache.Entry e = MegaflowCache.Entry.cached(r);
            if (unfragmented) {
                assertArrayEquals(new Flow[] {a, b}, e.counted, "the ct() holds no packet of it");
                assertArrayEquals(new int[] {MegaflowCache.OP_CT}, e.op);
            } else {
                assertArrayEquals(new Flow[] {a}, e.counted, "a fragment may stop at the ct()");
                assertArrayEquals(new int[] {MegaflowCache.OP_CT, MegaflowCache.OP_HIT}, e.op);
                assertSame(b, e.ref[1]);
            }
        }
    }

    /** Unfragmented frames and fragmented datagrams (held by a ct() without table, then released) count alike. */
    @Test
    void fragmentsHeldByACtAndWholeFramesCountAsTheUncachedWalk() {
        long a = Frames.ip("10.0.0.1"), b = Frames.ip("10.0.0.2");
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,in_port=1,actions=ct(commit,zone=3),set_field:0x9->reg0,resubmit(,2)",
                    "table=2,ip,reg0=9,actions=resubmit(,3)", "table=3,actions=output:2");
            long frames = 0, bytes = 0;
            for (int round = 0; round < 2; round++) {       // the second round replays what the first cached
                for (int n = 0; n < 4; n++) {
                    byte[] whole = Frames.v4(a, b, 17, Frames.udp(7000 + n, 53, 100));
                    List<byte[]> frags = Fragmenter.cut(Frames.v4(a, b, 17, Frames.udp(6500 + n, 53, 4000)), 60 + n + 10 * round, 1480);
                    List<byte[]> burst = new ArrayList<>(List.of(whole, frags.get(2), whole));
                    burst.addAll(frags.subList(0, 2));
                    var outs = new CtFragmentsDatapathTest().burst(dp, 0, burst);
                    assertEquals(5, outs.get(1).size(), "round " + round + ", cached=" + cached);
                    frames += burst.size();
                    bytes += burst.stream().mapToInt(f -> f.length).sum();
                }
            }
            List<Long> packets = counts(dp, false);
            assertEquals(List.of(frames, frames, frames), packets, "cached=" + cached);
            assertEquals(List.of(bytes, bytes, bytes), counts(dp, true), "cached=" + cached);
        }
    }
}
