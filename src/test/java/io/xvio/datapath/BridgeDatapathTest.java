package io.xvio.datapath;

import io.xvio.packet.Ethernet;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

class BridgeDatapathTest {
    private static final long A = 0x020000000001L, B = 0x020000000002L, C = 0x020000000003L, BCAST = 0xffffffffffffL;

    private static void frame(PacketBatch b, int i, long dst, long src) {
        long o = b.off[i];
        for (int k = 0; k < 6; k++) {
            b.data.set(JAVA_BYTE, o + k, (byte) (dst >>> (40 - 8 * k)));
            b.data.set(JAVA_BYTE, o + 6 + k, (byte) (src >>> (40 - 8 * k)));
        }
        b.data.set(JAVA_BYTE, o + 12, (byte) 0x08);
        b.data.set(JAVA_BYTE, o + 13, (byte) 0x00);
        b.len[i] = 64;
    }

    /** Ports that packet 0 of a one-packet burst from inPort goes to. */
    private static List<Integer> send(BridgeDatapath dp, int inPort, long dst, long src) {
        PacketBatch b = new PacketBatch();
        frame(b, 0, dst, src);
        b.count = 1;
        Outputs out = new Outputs(16);
        dp.process(inPort, b, out, 0, System.nanoTime());
        List<Integer> ports = new ArrayList<>();
        for (int k = 0; k < out.touchedCount(); k++) ports.add(out.touchedPort(k));
        return ports;
    }

    /** A plain IPv4/TCP frame of len bytes (at least 34) from src to dst with TCP destination port tpDst. */
    private static void tcpFrame(PacketBatch b, int i, long dst, long src, int tpDst, int len) {
        frame(b, i, dst, src);
        long o = b.off[i];
        byte[] ip = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
        for (int k = 0; k < ip.length; k++) b.data.set(JAVA_BYTE, o + 14 + k, ip[k]);
        for (int k = 34; k < len; k++) b.data.set(JAVA_BYTE, o + k, (byte) 0);
        b.data.set(JAVA_BYTE, o + 36, (byte) (tpDst >>> 8));
        b.data.set(JAVA_BYTE, o + 37, (byte) tpDst);
        if (len > 46) b.data.set(JAVA_BYTE, o + 46, (byte) 0x50);     // data offset 5: a 20-byte TCP header
        b.len[i] = len;
    }

    /** Output port indexes of each packet of the burst, in packet order (-1: dropped). */
    private static int[] outputs(Outputs out, int n) {
        int[] where = new int[n];
        java.util.Arrays.fill(where, -1);
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            for (int j = 0; j < out.countFor(p); j++) where[out.packetsFor(p)[j]] = p;
        }
        return where;
    }

    /**
     * Frames whose consecutive neighbours differ (two TCP flows interleaved) take the exact-match cache after the
     * first of each: one megaflow miss per flow, then hits without lookups; counters exact.
     */
    @Test
    void interleavedFlowsHitTheExactMatchCache() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(FlowParser.parse("priority=10,tcp,tp_dst=80,actions=output:2"),
                FlowParser.parse("priority=10,tcp,tp_dst=443,actions=output:3"), FlowParser.parse("priority=0,actions=drop")));
        for (int round = 0; round < 3; round++) {
            PacketBatch b = new PacketBatch();
            for (int i = 0; i < 32; i++) tcpFrame(b, i, B, A, i % 2 == 0 ? 80 : 443, 60);
            b.count = 32;
            Outputs out = new Outputs(16);
            dp.process(0, b, out, 0, System.nanoTime());
            int[] where = outputs(out, 32);
            for (int i = 0; i < 32; i++) assertEquals(i % 2 == 0 ? 1 : 2, where[i], "packet " + i + ", round " + round);
        }
        assertEquals(48, dp.flows().get(0).packetCount());
        assertEquals(48 * 60, dp.flows().get(0).byteCount());
        assertEquals(48, dp.flows().get(1).packetCount());
        MegaflowStats st = dp.cacheStats(0);
        assertEquals(2, st.misses(), "one miss per flow");
        assertEquals(94, st.hits());
        assertEquals(94, st.emcHits(), "every hit came from the exact-match cache");
    }

    /**
     * A frame too short for a whole TCP header has no TCP ports in its key, even if its first bytes equal the
     * previous frame's: it must not take that frame's decision (nor an exact-match entry).
     */
    @Test
    void aTruncatedTcpFrameDoesNotTakeTheDecisionOfAWholeOneWithTheSameFirstBytes() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of(FlowParser.parse("priority=10,tcp,tp_dst=80,actions=output:2"),
                FlowParser.parse("priority=0,actions=drop")));
        PacketBatch b = new PacketBatch();
        tcpFrame(b, 0, B, A, 80, 60);
        tcpFrame(b, 1, B, A, 80, 50);      // ports at 36-37 are there, but the TCP header (34-53) is not whole
        tcpFrame(b, 2, B, A, 80, 60);
        b.count = 3;
        Outputs out = new Outputs(16);
        dp.process(0, b, out, 0, System.nanoTime());
        assertArrayEquals(new int[] {1, -1, 1}, outputs(out, 3));
    }

    /**
     * NORMAL behind an ACL is cached (the ACL lookup is not repeated) yet switches live: learning and MAC lookups
     * happen on every replay, so a station that moves is followed at once.
     */
    @Test
    void normalBehindAnAclIsCachedAndStillLearns() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(FlowParser.parse("priority=10,tcp,tp_dst=22,actions=drop"),
                FlowParser.parse("priority=0,actions=NORMAL")));
        assertEquals(List.of(1, 2), send(dp, 0, B, A), "B unknown: flood");
        assertEquals(List.of(0), send(dp, 1, A, B), "A was learned on port index 0");
        assertEquals(List.of(1), send(dp, 0, B, A), "the cached translation looks B up: learned on port index 1");
        assertEquals(List.of(0), send(dp, 2, A, B), "B moves to port index 2");
        assertEquals(List.of(2), send(dp, 0, B, A), "the cached translation follows the move");
        MegaflowStats st = dp.cacheStats(0);
        assertEquals(0, st.uncacheable(), "NORMAL translations are cached: " + st);
        assertEquals(3, st.misses(), "one per input port: " + st);
        assertEquals(2, st.hits(), st.toString());
    }

    @Test
    void normalFloodsUnknownThenForwardsToTheLearnedPort() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
        assertEquals(List.of(1, 2), send(dp, 0, B, A), "unknown destination floods to all but the in port");
        assertEquals(List.of(0), send(dp, 1, A, B), "A was learned on port index 0");
        assertEquals(List.of(1), send(dp, 2, B, C), "B was learned on port index 1");
        assertEquals(List.of(0, 1), send(dp, 2, BCAST, C), "broadcast floods");
        assertEquals(List.of(), send(dp, 0, A, C), "destination on the in port: dropped, and C moves to port 0");
        assertEquals(List.of(0), send(dp, 1, C, B), "C moved");
    }

    @Test
    void inPortFlowsCrossConnect() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of(FlowParser.parse("in_port=1,actions=output:2"), FlowParser.parse("in_port=2,actions=output:1")));
        assertEquals(List.of(1), send(dp, 0, BCAST, A));
        assertEquals(List.of(0), send(dp, 1, BCAST, B));
    }

    /**
     * A cached translation that depends on the input port alone is applied to whole bursts without reading the
     * packets: every packet still goes out, in order, and the flow counts each one.
     */
    @Test
    void aWholeBurstTakesAnInPortOnlyTranslation() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(FlowParser.parse("in_port=1,actions=output:2,output:3"),
                FlowParser.parse("in_port=2,actions=dec_ttl,output:1")));
        for (int round = 0; round < 3; round++) {
            PacketBatch b = new PacketBatch();
            for (int i = 0; i < 20; i++) frame(b, i, B, A + i);
            b.count = 20;
            Outputs out = new Outputs(16);
            dp.process(0, b, out, 0, System.nanoTime());
            assertEquals(2, out.touchedCount(), "round " + round);
            for (int port : new int[] {1, 2}) {
                assertEquals(20, out.countFor(port), "port index " + port + ", round " + round);
                for (int k = 0; k < 20; k++) assertEquals(k, out.packetsFor(port)[k], "in order");
            }
        }
        assertEquals(60, dp.flows().getFirst().packetCount());
        assertEquals(60 * 64, dp.flows().getFirst().byteCount());
        assertEquals(new MegaflowStats(59, 1, 0, 1, 1, 1, 0, 0, 0, 0), dp.cacheStats(0), "one miss (the first packet), then hits");
        // a translation that rewrites headers (dec_ttl) is replayed packet by packet; a frame that is IPv4 by its
        // type but has no valid header (all zero) has ttl 0 for dec_ttl, and OVS drops it: so does xvio
        assertEquals(List.of(), send(dp, 1, A, B));
        assertEquals(1, dp.flows().get(1).packetCount());
        assertEquals(1, dp.droppedTtl());
    }

    /**
     * A flow change evicts only the cached entries whose packets it can concern: the others keep hitting (the
     * miss counter shows they were not learned again), also across two versions the thread did not see.
     */
    @Test
    void aFlowChangeKeepsTheEntriesItCannotConcern() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        int[] ports = {1, 2, 3};
        List<Flow> flows = new ArrayList<>(List.of(FlowParser.parse("in_port=1,actions=output:2"), FlowParser.parse("in_port=2,actions=output:1")));
        dp.install(ports, flows);
        assertEquals(List.of(1), send(dp, 0, B, A));
        assertEquals(List.of(0), send(dp, 1, A, B));
        flows.add(FlowParser.parse("in_port=3,actions=drop"));
        dp.install(ports, flows);
        flows.add(FlowParser.parse("priority=5,in_port=3,tcp,actions=drop"));
        dp.install(ports, flows);
        assertEquals(List.of(1), send(dp, 0, B, A));
        assertEquals(List.of(0), send(dp, 1, A, B));
        MegaflowStats s = dp.cacheStats(0);
        assertEquals(2, s.misses(), "not learned again: " + s);
        assertEquals(2, s.hits(), s.toString());
        assertEquals(2, s.kept(), s.toString());
        assertEquals(0, s.evicted(), s.toString());

        // mod-flows on the in_port=2 flow: its entry goes, the in_port=1 entry stays
        flows.set(1, flows.get(1).modified(FlowParser.parse("actions=output:3").actions, "in_port=2,actions=output:3", false));
        dp.install(ports, flows);
        assertEquals(List.of(2), send(dp, 1, A, B), "the new actions, at once");
        assertEquals(List.of(1), send(dp, 0, B, A));
        s = dp.cacheStats(0);
        assertEquals(3, s.misses(), s.toString());
        assertEquals(1, s.evicted(), s.toString());
        assertEquals(3, flows.get(1).packetCount(), "mod-flows kept the count");
    }

    /**
     * A lookup after a rewrite sees the key as rewritten: here reg0=5 in table 1 for a packet whose own reg0 is 0.
     * A new table-1 flow on reg0=5 must evict the entry even though the packet's original reg0 differs.
     */
    @Test
    void aChangeAfterARewriteInAnEarlierTableEvictsTheEntry() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        int[] ports = {1, 2, 3};
        List<Flow> flows = new ArrayList<>(List.of(
                FlowParser.parse("in_port=1,actions=load:5->NXM_NX_REG0[],resubmit(,1)"),
                FlowParser.parse("table=1,priority=10,reg0=0,actions=output:3"),
                FlowParser.parse("table=1,priority=10,reg0=5,actions=output:2")));
        dp.install(ports, flows);
        assertEquals(List.of(1), send(dp, 0, B, A));
        assertEquals(List.of(1), send(dp, 0, B, A));
        flows.add(FlowParser.parse("table=1,priority=100,reg0=5,actions=output:3"));
        dp.install(ports, flows);
        assertEquals(List.of(2), send(dp, 0, B, A), "the new table-1 flow decides");
        assertEquals(1, dp.cacheStats(0).evicted());
    }

    /** A port change, or more changed flows than the change log holds, empties the cache (nothing stale either way). */
    @Test
    void portChangesAndLargeChangesEmptyTheCache() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        List<Flow> flows = new ArrayList<>(List.of(FlowParser.parse("in_port=1,actions=output:2")));
        dp.install(new int[] {1, 2}, flows);
        assertEquals(List.of(1), send(dp, 0, B, A));
        dp.install(new int[] {2, 1}, flows);                      // the same ofports, other indices
        assertEquals(List.of(0), send(dp, 1, B, A));
        assertEquals(1, dp.cacheStats(0).flushes());
        for (int i = 0; i <= ChangeLog.MAX_FLOWS; i++) flows.add(FlowParser.parse("priority=1,in_port=" + (100 + i) + ",actions=drop"));
        dp.install(new int[] {2, 1}, flows);
        assertEquals(List.of(0), send(dp, 1, B, A));
        MegaflowStats s = dp.cacheStats(0);
        assertEquals(2, s.flushes(), s.toString());
        assertEquals(3, s.misses(), s.toString());
    }

    @Test
    void higherPriorityWinsAndUnmatchedPacketsDrop() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(
                FlowParser.parse("priority=1,actions=output:3"),
                FlowParser.parse("priority=100,in_port=1,actions=output:2")));
        assertEquals(List.of(1), send(dp, 0, A, B));
        assertEquals(List.of(2), send(dp, 1, A, B));
        dp.install(new int[] {1, 2, 3}, List.of(FlowParser.parse("in_port=1,actions=output:2")));
        assertEquals(List.of(), send(dp, 1, A, B));
        assertEquals(1, dp.droppedNoMatch());
    }

    /**
     * A resubmit to a table where no flow matches returns to the actions after it (OVS's no_packet_in_rule; OVN looks
     * up port security that way): the packet goes on and is no drop. A miss that ends the pipeline (table 0, a
     * goto_table at the top) is one. The same through the megaflow cache and without it, for the first packet and
     * the ones that replay its translation.
     */
    @Test
    void aResubmitsMissIsNoDropAMissThatEndsThePipelineIs() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = new BridgeDatapath("br0");
            dp.setCacheEnabled(cached);
            dp.install(new int[] {1, 2, 3}, List.of(
                    FlowParser.parse("table=0,priority=10,in_port=1,actions=resubmit(,5),output:2"),
                    FlowParser.parse("table=0,priority=10,in_port=2,actions=goto_table:5"),
                    FlowParser.parse("table=5,priority=10,dl_dst=00:00:00:00:00:99,actions=output:3")));
            for (int n = 1; n <= 3; n++) {
                assertEquals(List.of(1), send(dp, 0, A, B), "cached " + cached + ": went on after the resubmit's miss");
                assertEquals(n - 1, dp.droppedNoMatch(), "cached " + cached + ": a resubmit's miss is no drop");
                assertEquals(List.of(), send(dp, 1, A, B), "cached " + cached + ": goto_table's miss ends it");
                assertEquals(n, dp.droppedNoMatch(), "cached " + cached + ": that one is a drop");
            }
            assertEquals(List.of(), send(dp, 2, A, B));
            assertEquals(4, dp.droppedNoMatch(), "cached " + cached + ": a miss in table 0 is a drop");
        }
    }

    /**
     * NORMAL skips learning and lookup for a frame whose addresses and tag repeat the previous frame's; a burst
     * must still go exactly where the same frames sent one burst each would go, VLAN variants included.
     */
    @Test
    void normalDecidesABurstAsItDecidesItsFramesOneByOne() {
        java.util.Random rnd = new java.util.Random(7);
        long[] macs = {A, B, C, BCAST};
        int[] vlans = {-1, -1, 10, 20};
        for (int round = 0; round < 200; round++) {
            BridgeDatapath burst = new BridgeDatapath("b"), single = new BridgeDatapath("s");
            PortVlan[] pv = {PortVlan.TRUNK_ALL, new PortVlan(10, null), PortVlan.TRUNK_ALL};
            for (BridgeDatapath dp : new BridgeDatapath[] {burst, single})
                dp.install(new int[] {1, 2, 3}, pv, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
            int inPort = rnd.nextInt(3), n = 1 + rnd.nextInt(32);
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] f = i > 0 && rnd.nextInt(3) > 0 ? frames.get(i - 1) : ethFrame(macs[rnd.nextInt(4)], macs[rnd.nextInt(3)], vlans[rnd.nextInt(4)]);
                frames.add(f);
            }
            int learnPort = rnd.nextInt(3);
            for (BridgeDatapath dp : new BridgeDatapath[] {burst, single}) sendFrame(dp, learnPort, ethFrame(BCAST, B, -1));

            PacketBatch b = new PacketBatch();
            for (int i = 0; i < n; i++) {
                MemorySegment.copy(frames.get(i), 0, b.data, JAVA_BYTE, b.off[i], frames.get(i).length);
                b.len[i] = frames.get(i).length;
            }
            b.count = n;
            Outputs out = new Outputs(16);
            long now = System.nanoTime();
            burst.process(inPort, b, out, 0, now);
            java.util.Map<Integer, List<String>> got = new java.util.TreeMap<>(), want = new java.util.TreeMap<>();
            for (int k = 0; k < out.touchedCount(); k++) {
                int port = out.touchedPort(k);
                for (int x = 0; x < out.countFor(port); x++) {
                    int j = out.packetsFor(port)[x];
                    got.computeIfAbsent(port, q -> new ArrayList<>()).add(java.util.HexFormat.of().formatHex(
                            b.data.asSlice(b.off[j], b.len[j]).toArray(JAVA_BYTE)));
                }
            }
            for (byte[] f : frames) {
                sendFrame(single, inPort, f).forEach((port, bytes) ->
                        want.computeIfAbsent(port, q -> new ArrayList<>()).add(java.util.HexFormat.of().formatHex(bytes)));
            }
            assertEquals(want, got, "round " + round);
            assertEquals(single.flows().getFirst().packetCount(), burst.flows().getFirst().packetCount(), "round " + round);
        }
    }

    @Test
    void macTableAgesOut() {
        MacTable t = new MacTable(64, 1_000);
        t.learn(A, 0, 3, 0);
        assertEquals(3, t.lookup(A, 0, 500));
        assertEquals(-1, t.lookup(A, 0, 2_000));
        assertEquals(-1, t.lookup(A, 10, 500), "VLANs are separate");
    }

    /** Runs one frame through dp; returns, per output port index, the frame bytes that port would send. */
    private static java.util.Map<Integer, byte[]> sendFrame(BridgeDatapath dp, int inPort, byte[] frame) {
        PacketBatch b = new PacketBatch();
        java.lang.foreign.MemorySegment.copy(frame, 0, b.data, JAVA_BYTE, b.off[0], frame.length);
        b.len[0] = frame.length;
        b.count = 1;
        Outputs out = new Outputs(16);
        dp.process(inPort, b, out, 0, System.nanoTime());
        java.util.Map<Integer, byte[]> res = new java.util.TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            int idx = out.packetsFor(p)[0];
            byte[] bytes = new byte[b.len[idx]];
            java.lang.foreign.MemorySegment.copy(b.data, JAVA_BYTE, b.off[idx], bytes, 0, bytes.length);
            res.put(p, bytes);
        }
        return res;
    }

    private static byte[] ethFrame(long dst, long src, int vlan) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(vlan >= 0 ? 68 : 64);
        bb.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src);
        if (vlan >= 0) bb.putShort((short) 0x8100).putShort((short) vlan);
        bb.putShort((short) 0x0800);
        return bb.array();
    }

    private static int vlanOf(byte[] f) {
        return ((f[12] & 0xff) << 8 | (f[13] & 0xff)) == 0x8100 ? ((f[14] & 0x0f) << 8 | (f[15] & 0xff)) : -1;
    }

    @Test
    void outputsBeforeALaterRewriteSendTheFrameAsItWasThen() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(
                FlowParser.parse("in_port=1,actions=resubmit(,1),mod_dl_dst:02:00:00:00:00:99,output:3"),
                FlowParser.parse("table=1,actions=output:2")));
        var out = sendFrame(dp, 0, ethFrame(B, A, -1));
        assertEquals(B, Ethernet.mac(java.lang.foreign.MemorySegment.ofArray(out.get(1)), 0), "port 2 got the frame before the rewrite");
        assertEquals(0x020000000099L, Ethernet.mac(java.lang.foreign.MemorySegment.ofArray(out.get(2)), 0), "port 3 got it after");
    }

    @Test
    void normalKeepsVlansApartAndTagsOnlyTrunks() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        java.util.BitSet t10 = new java.util.BitSet();
        t10.set(10);
        // ports: 0 access 10, 1 access 10, 2 access 20, 3 trunk (all), 4 trunk carrying only 10
        dp.install(new int[] {1, 2, 3, 4, 5},
                new PortVlan[] {new PortVlan(10, null), new PortVlan(10, null), new PortVlan(20, null), PortVlan.TRUNK_ALL, new PortVlan(0, t10)},
                List.of(FlowParser.parse("priority=0,actions=NORMAL")));
        var out = sendFrame(dp, 0, ethFrame(BCAST, A, -1));
        assertEquals(java.util.Set.of(1, 3, 4), out.keySet(), "VLAN 10 floods to its access port and both trunks, not to VLAN 20");
        assertEquals(-1, vlanOf(out.get(1)), "access ports send untagged");
        assertEquals(10, vlanOf(out.get(3)), "trunks send tagged");
        assertEquals(10, vlanOf(out.get(4)));
        // tagged VLAN 20 from the trunk reaches only the VLAN 20 access port, untagged
        out = sendFrame(dp, 3, ethFrame(BCAST, C, 20));
        assertEquals(java.util.Set.of(2), out.keySet());
        assertEquals(-1, vlanOf(out.get(2)));
        // a tagged frame on an access port is dropped; VLAN 30 on the 10-only trunk too
        assertTrue(sendFrame(dp, 0, ethFrame(BCAST, A, 10)).isEmpty());
        assertTrue(sendFrame(dp, 4, ethFrame(BCAST, A, 30)).isEmpty());
        assertEquals(2, dp.droppedVlan());
        // learned per VLAN: A is known on VLAN 10 at port 0 only
        out = sendFrame(dp, 3, ethFrame(A, C, 10));
        assertEquals(java.util.Set.of(0), out.keySet());
        assertEquals(-1, vlanOf(out.get(0)));
    }

    @Test
    void decTtlAndAddressRewritesKeepChecksumsValid() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of(FlowParser.parse(
                "in_port=1,udp,actions=dec_ttl,mod_nw_src:192.168.7.7,mod_tp_dst:4242,mod_nw_tos:32,output:2")));
        // an IPv4/UDP frame with correct checksums
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(14 + 20 + 8 + 4);
        bb.putShort((short) 0x0200).putInt(2).putShort((short) 0x0200).putInt(1).putShort((short) 0x0800);
        bb.put((byte) 0x45).put((byte) 0).putShort((short) 32).putInt(0).put((byte) 64).put((byte) 17).putShort((short) 0)
                .putInt(0x0a000001).putInt(0x0a000002);
        bb.putShort((short) 1000).putShort((short) 2000).putShort((short) 12).putShort((short) 0).putInt(0xdeadbeef);
        byte[] f = bb.array();
        int ipc = ones(f, 14, 20);
        f[24] = (byte) (~ipc >> 8); f[25] = (byte) ~ipc;
        int udpc = udpChecksum(f);
        f[40] = (byte) (udpc >> 8); f[41] = (byte) udpc;
        byte[] o = sendFrame(dp, 0, f).get(1);
        assertEquals(63, o[22] & 0xff);
        assertEquals(0xc0a80707, java.nio.ByteBuffer.wrap(o, 26, 4).getInt());
        assertEquals(4242, java.nio.ByteBuffer.wrap(o, 36, 2).getShort() & 0xffff);
        assertEquals(32, o[15] & 0xfc);
        assertEquals(0xffff, ones(o, 14, 20), "IPv4 header checksum verifies");
        byte[] zeroed = o.clone();
        int got = ((o[40] & 0xff) << 8) | (o[41] & 0xff);
        zeroed[40] = 0; zeroed[41] = 0;
        assertEquals(udpChecksum(zeroed), got, "UDP checksum matches a full recomputation");
    }

    /** Ones'-complement sum of 16-bit words, folded (0xffff over data that includes a valid checksum). */
    private static int ones(byte[] f, int off, int len) {
        long sum = 0;
        for (int i = off; i < off + len; i += 2) sum += ((f[i] & 0xff) << 8) | (f[i + 1] & 0xff);
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (int) sum;
    }

    private static int udpChecksum(byte[] f) {
        long sum = 0;
        for (int i = 26; i < 34; i += 2) sum += ((f[i] & 0xff) << 8) | (f[i + 1] & 0xff);
        sum += 17 + 12;
        for (int i = 34; i < 46; i += 2) sum += ((f[i] & 0xff) << 8) | (f[i + 1] & 0xff);
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        int c = (int) ~sum & 0xffff;
        return c == 0 ? 0xffff : c;
    }
}
