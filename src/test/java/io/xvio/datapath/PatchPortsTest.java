package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.*;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Patch ports: two bridges joined by a patch pair (br0's pa, ofport 2, and br1's pb, ofport 1), each bridge's queues
 * sending to an array of both bridges' ports. br0: vm (1), pa (2), local (3); br1: pb (1), phy (2). In br0's array
 * br1 starts at 3; in br1's array br0 starts at 2.
 */
class PatchPortsTest {
    static final long A = 0x020000000001L, B = 0x020000000002L;

    /** Two bridges and their layouts; counters per patch port: [tx, rx]. */
    static final class Pair {
        final BridgeDatapath br0 = new BridgeDatapath("br0"), br1 = new BridgeDatapath("br1");
        final AtomicLong paTx = new AtomicLong(), paRx = new AtomicLong(), pbTx = new AtomicLong(), pbRx = new AtomicLong();

        Pair(boolean cached, List<String> flows0, List<String> flows1) {
            br0.setCacheEnabled(cached);
            br1.setCacheEnabled(cached);
            br0.install(new int[] {1, 2, 3}, flows0.stream().map(FlowParser::parse).toList());
            br1.install(new int[] {1, 2}, flows1.stream().map(FlowParser::parse).toList());
            PatchLayout.Counter paT = (t, n) -> paTx.incrementAndGet(), paR = (t, n) -> paRx.incrementAndGet(),
                    pbT = (t, n) -> pbTx.incrementAndGet(), pbR = (t, n) -> pbRx.incrementAndGet();
            // br0's array: br0 0..2, br1 3..4
            br0.setPatches(new PatchLayout(List.of(
                    new PatchLayout.Hop(1, br0, br1, 0, 1, 3, paT, pbR),
                    new PatchLayout.Hop(3, br1, br0, 1, 2, 0, pbT, paR))));
            // br1's array: br1 0..1, br0 2..4
            br1.setPatches(new PatchLayout(List.of(
                    new PatchLayout.Hop(0, br1, br0, 1, 2, 2, pbT, paR),
                    new PatchLayout.Hop(3, br0, br1, 0, 1, 0, paT, pbR))));
        }
    }

    static byte[] tcp(long dst, long src, int nwSrc, int dport) {
        ByteBuffer bb = ByteBuffer.allocate(64);
        bb.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src).putShort((short) 0x0800);
        bb.put((byte) 0x45).put((byte) 0).putShort((short) 46).putShort((short) 1).putShort((short) 0).put((byte) 64).put((byte) 6)
                .putShort((short) 0).putInt(nwSrc).putInt(0x0a000002);
        bb.putShort((short) 1000).putShort((short) dport).putInt(1).putInt(0).put((byte) 0x50).put((byte) 0x10).putShort((short) 100).putInt(0);
        return bb.array();
    }

    /** Array index -> frames sent there, for a burst of frames received by dp on port index inPort. */
    static Map<Integer, List<byte[]>> send(BridgeDatapath dp, int inPort, byte[]... frames) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < frames.length; i++) {
            MemorySegment.copy(frames[i], 0, b.data, JAVA_BYTE, b.off[i], frames[i].length);
            b.len[i] = frames[i].length;
        }
        b.count = frames.length;
        Outputs out = new Outputs(6);                 // the array's size: a port emptied and used again stays in bounds
        dp.process(inPort, b, out, 0, System.nanoTime());
        Map<Integer, List<byte[]>> res = new TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            for (int c = 0; c < out.countFor(p); c++) {
                int idx = out.packetsFor(p)[c];
                byte[] bytes = new byte[b.len[idx]];
                MemorySegment.copy(b.data, JAVA_BYTE, b.off[idx], bytes, 0, bytes.length);
                res.computeIfAbsent(p, x -> new ArrayList<>()).add(bytes);
            }
        }
        return res;
    }

    /**
     * A frame whose flow only outputs to the patch is sent from the caches without its key being extracted (exact-match
     * hit, header-free): it must cross with pkt_mark 0, not with the mark of the frame its slot held before (br1 drops
     * marked packets). Bursts of one frame in one batch, so slot 0 is reused, as a PMD thread reuses its batch.
     */
    @Test
    void aCachedFrameDoesNotCrossWithTheMarkOfItsSlotsLastPacket() {
        Pair p = new Pair(true,
                List.of("priority=10,in_port=1,ip,nw_src=10.0.0.1,actions=set_field:0x42->pkt_mark,output:2",
                        "priority=10,in_port=1,ip,nw_src=10.0.0.9,actions=output:2"),
                List.of("priority=20,pkt_mark=0x42,actions=drop", "priority=10,actions=output:2"));
        PacketBatch b = new PacketBatch();
        byte[] marked = tcp(B, A, 0x0a000001, 80), plain = tcp(B, A, 0x0a000009, 80);
        StringBuilder got = new StringBuilder();
        for (byte[] f : new byte[][] {plain, plain, plain, marked, marked, plain, plain, plain, marked, plain}) {
            b.reset();
            MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[0], f.length);
            b.len[0] = f.length;
            b.count = 1;
            Outputs out = new Outputs(6);
            p.br0.process(0, b, out, 0, System.nanoTime());
            got.append(f == marked ? "marked:" : "plain:").append(out.countFor(4)).append(' ');
        }
        assertEquals("plain:1 plain:1 plain:1 marked:0 marked:0 plain:1 plain:1 plain:1 marked:0 plain:1 ", got.toString(),
                "frames out of br1's phy port (1: crossed unmarked, 0: dropped as marked)");
    }

    /**
     * A tag pushed onto a tagged frame before crossing: as OVS's flow, br1 sees the frame's dl_type (IPv4) under the
     * new outer tag 100, not a new parse's 0x8100 (its L3 fields unread: the flow matches dl_type and tag only).
     */
    @Test
    void aSecondTagPushedBeforeCrossingKeepsTheFlowsType() {
        byte[] plain = tcp(B, A, 0x0a000001, 80), tagged = new byte[plain.length + 4];
        System.arraycopy(plain, 0, tagged, 0, 12);
        tagged[12] = (byte) 0x81;
        tagged[15] = 5;                                   // 0x8100, VLAN 5
        System.arraycopy(plain, 12, tagged, 16, plain.length - 12);
        for (boolean cached : new boolean[] {true, false}) {
            Pair p = new Pair(cached, List.of("priority=10,in_port=1,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2"),
                    List.of("priority=20,in_port=1,dl_vlan=100,dl_type=0x0800,actions=output:2"));
            for (int round = 0; round < 3; round++) {
                Map<Integer, List<byte[]>> got = send(p.br0, 0, tagged);
                assertEquals(Set.of(4), got.keySet(), "cached=" + cached + " round " + round);
                assertEquals(tagged.length + 4, got.get(4).get(0).length);
            }
        }
    }

    @Test
    void normalOnBothBridgesFloodsAcrossThenLearnsTheWayBack() {
        for (boolean cached : new boolean[] {true, false}) {
            Pair p = new Pair(cached, List.of("priority=0,actions=NORMAL"), List.of("priority=0,actions=NORMAL"));
            byte[] f = tcp(B, A, 0x0a000001, 80);
            // A (vm on br0) to unknown B: br0 floods to pa and local; br1 floods what came in on pb to phy
            Map<Integer, List<byte[]>> out = send(p.br0, 0, f);
            assertEquals(Set.of(2, 4), out.keySet(), "local port and br1's phy (array index 3 + 1), never a patch port itself");
            assertArrayEquals(f, out.get(4).getFirst());
            assertEquals(1, p.paTx.get());
            assertEquals(1, p.pbRx.get());
            // B answers from phy: br1 learned A behind pb, br0 learned A on vm (array index 2 + 0 in br1's array)
            byte[] r = tcp(A, B, 0x0a000002, 1000);
            out = send(p.br1, 1, r);
            assertEquals(Set.of(2), out.keySet(), "unicast back to vm only: " + out.keySet());
            assertEquals(1, p.pbTx.get());
            assertEquals(1, p.paRx.get());
            // and A to B now goes straight across, B learned on br1's phy and on br0's pa
            out = send(p.br0, 0, f);
            assertEquals(Set.of(4), out.keySet(), (cached ? "cached" : "uncached") + ": " + out.keySet());
            assertEquals(0, p.br0.drops().get(DatapathDrops.Reason.PATCH_LOOP));
        }
    }

    @Test
    void flowsOnBothSidesSeeThePacketAsRewrittenButFreshMetadata() {
        for (boolean cached : new boolean[] {true, false}) {
            Pair p = new Pair(cached,
                    List.of("in_port=1,actions=load:5->NXM_NX_REG0[],load:0x7->OXM_OF_METADATA[],mod_nw_src:10.9.9.9,output:2,output:3"),
                    List.of("priority=9,in_port=1,reg0=5,actions=drop",
                            "priority=9,in_port=1,metadata=0x7,actions=drop",
                            "priority=8,ip,in_port=1,nw_src=10.9.9.9,actions=mod_dl_src:02:00:00:00:00:99,output:2",
                            "priority=1,actions=drop"));
            for (int pass = 0; pass < 3; pass++) {
                byte[] f = tcp(B, A, 0x0a000001, 80);
                Map<Integer, List<byte[]>> out = send(p.br0, 0, f, f);
                assertEquals(Set.of(2, 4), out.keySet(), (cached ? "cached" : "uncached") + " pass " + pass);
                assertEquals(2, out.get(4).size());
                assertEquals(0x99, out.get(4).get(0)[11] & 0xff, "br1's rewrite");
                assertEquals(0x0a090909, ByteBuffer.wrap(out.get(4).get(0), 26, 4).getInt(), "br0's rewrite reached br1");
                assertEquals(0x01, out.get(2).get(0)[11] & 0xff, "br0's local port got the frame without br1's rewrite");
            }
            assertEquals(6, p.paTx.get());
            assertEquals(6, p.pbRx.get());
        }
    }

    @Test
    void aPatchLoopIsACountedDropNotAHang() {
        for (boolean cached : new boolean[] {true, false}) {
            // two patch pairs: br0 vm(1) pa1(2) pa2(3), br1 pb1(1) pb2(2); pa1-pb1 and pa2-pb2, flows going round
            BridgeDatapath br0 = new BridgeDatapath("br0"), br1 = new BridgeDatapath("br1");
            br0.setCacheEnabled(cached);
            br1.setCacheEnabled(cached);
            br0.install(new int[] {1, 2, 3}, List.of(FlowParser.parse("in_port=1,actions=output:2"), FlowParser.parse("in_port=3,actions=output:2")));
            br1.install(new int[] {1, 2}, List.of(FlowParser.parse("in_port=1,actions=output:2")));
            AtomicLong crossings = new AtomicLong();
            PatchLayout.Counter tx = (t, n) -> crossings.incrementAndGet(), rx = (t, n) -> { };
            br0.setPatches(new PatchLayout(List.of(          // br0 0..2, br1 3..4
                    new PatchLayout.Hop(1, br0, br1, 0, 1, 3, tx, rx), new PatchLayout.Hop(2, br0, br1, 1, 2, 3, tx, rx),
                    new PatchLayout.Hop(3, br1, br0, 1, 2, 0, tx, rx), new PatchLayout.Hop(4, br1, br0, 2, 3, 0, tx, rx))));
            for (int pass = 1; pass <= 2; pass++) {
                Map<Integer, List<byte[]>> out = send(br0, 0, tcp(B, A, 0x0a000001, 80), tcp(B, A, 0x0a000003, 81));
                assertTrue(out.isEmpty(), "nothing leaves: " + out.keySet());
                long loops = br0.drops().get(DatapathDrops.Reason.PATCH_LOOP) + br1.drops().get(DatapathDrops.Reason.PATCH_LOOP);
                assertEquals(2L * pass, loops, "each frame dropped once, as a loop");
                assertEquals(2L * pass * PatchLayout.MAX_HOPS, crossings.get(), "each frame crossed " + PatchLayout.MAX_HOPS + " patch ports");
            }
        }
    }

    @Test
    void aPacketOutToAPatchPortEntersThePeer() {
        Pair p = new Pair(true, List.of("priority=0,actions=NORMAL"), List.of("in_port=1,actions=mod_dl_src:02:00:00:00:00:77,output:2"));
        byte[] f = tcp(B, A, 0x0a000001, 80);
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(6);
        p.br0.packetOut(0xfffd, f, FlowParser.parse("actions=output:2").actions, b, out, 0, System.nanoTime());
        assertEquals(1, out.touchedCount(), "only br1's phy");
        assertEquals(4, out.touchedPort(0));
        assertEquals(0x77, b.data.get(JAVA_BYTE, b.off[out.packetsFor(4)[0]] + 11) & 0xff, "br1's flow ran");
        assertEquals(1, p.paTx.get());
        assertEquals(1, p.pbRx.get());
    }

    @Test
    void aResumedContinuationThatOutputsToAPatchPortEntersThePeer() {
        Pair p = new Pair(true, List.of("priority=0,actions=NORMAL"), List.of("in_port=1,actions=mod_dl_src:02:00:00:00:00:77,output:2"));
        byte[] f = tcp(B, A, 0x0a000001, 80);
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(6);
        p.br0.resume(0xfffd, f, new Match(), new long[0],
                List.of(new Paused.Frame(0, 0, FlowParser.parse("actions=output:2").actions)), b, out, 0, System.nanoTime());
        assertEquals(1, out.touchedCount(), "only br1's phy");
        assertEquals(4, out.touchedPort(0));
        assertEquals(0x77, b.data.get(JAVA_BYTE, b.off[out.packetsFor(4)[0]] + 11) & 0xff, "br1's flow ran");
        assertEquals(1, p.paTx.get());
        assertEquals(1, p.pbRx.get());
    }

    @Test
    void aTraceSaysWhereAPatchPortLeads() {
        Pair p = new Pair(true, List.of("in_port=1,actions=output:2"), List.of("priority=0,actions=NORMAL"));
        Trace tr = p.br0.trace(1, tcp(B, A, 0x0a000001, 80), new Match());
        assertEquals(List.of("port 2 (patch: enters bridge br1 with in_port=1)"), tr.outputs, tr.outputs.toString());
    }

    static int vlanOf(byte[] f) {
        return ((f[12] & 0xff) << 8 | (f[13] & 0xff)) == 0x8100 ? ((f[14] & 0x0f) << 8 | (f[15] & 0xff)) : -1;
    }

    @Test
    void vlansCrossThePairAsTheyWouldATrunkBetweenTwoSwitches() {
        for (boolean cached : new boolean[] {true, false}) {
            Pair p = new Pair(cached, List.of("priority=0,actions=NORMAL"), List.of("priority=0,actions=NORMAL"));
            List<Flow> normal = List.of(FlowParser.parse("priority=0,actions=NORMAL"));
            BitSet only20 = new BitSet();
            only20.set(20);
            // br0: vm an access port of VLAN 10, pa and local trunks; br1: pb a trunk, phy a trunk of VLAN 20 only
            p.br0.install(new int[] {1, 2, 3}, new PortVlan[] {new PortVlan(10, null), PortVlan.TRUNK_ALL, PortVlan.TRUNK_ALL}, normal);
            p.br1.install(new int[] {1, 2}, new PortVlan[] {PortVlan.TRUNK_ALL, new PortVlan(0, only20)}, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
            Map<Integer, List<byte[]>> out = send(p.br0, 0, tcp(B, A, 0x0a000001, 80));
            assertEquals(Set.of(2), out.keySet(), "tagged 10 on br0's local trunk; across the pair, br1's phy does not carry 10");
            assertEquals(10, vlanOf(out.get(2).getFirst()));
            assertEquals(1, p.pbRx.get(), "it did cross, tagged");
            // VLAN 10 from phy is refused there; VLAN 20 through pb into br0 reaches only the local trunk
            p.br1.install(new int[] {1, 2}, new PortVlan[] {PortVlan.TRUNK_ALL, PortVlan.TRUNK_ALL}, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
            byte[] tagged = ByteBuffer.allocate(68).put(tcp(A, B, 0x0a000002, 1000), 0, 12).putShort((short) 0x8100).putShort((short) 10)
                    .put(tcp(A, B, 0x0a000002, 1000), 12, 52).array();
            out = send(p.br1, 1, tagged);
            assertEquals(Set.of(2), out.keySet(), "vm (br0's index 0 at 2 in br1's array) learned on VLAN 10: unicast, untagged");
            assertEquals(-1, vlanOf(out.get(2).getFirst()), "an access port sends untagged");
        }
    }

    @Test
    void crossingAllocatesNothing() {
        // NORMAL both sides (learned both ways), a flow pipeline, and a patch loop: the steady state allocates nothing
        Pair p = new Pair(true, List.of("priority=0,actions=NORMAL"), List.of("priority=0,actions=NORMAL"));
        byte[][] frames = new byte[32][];
        for (int f = 0; f < frames.length; f++) frames[f] = tcp(f % 2 == 0 ? B : 0xffffffffffffL, A, 0x0a000001 + f, 80 + f);
        send(p.br1, 1, tcp(A, B, 0x0a000002, 1000));       // br1 and br0 learn B behind phy
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(6);
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 3; round++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int k = 0; k < 20_000; k++) {
                b.reset();
                out.clear();
                for (int f = 0; f < frames.length; f++) {
                    MemorySegment.copy(frames[f], 0, b.data, JAVA_BYTE, b.off[f], frames[f].length);
                    b.len[f] = frames[f].length;
                }
                b.count = frames.length;
                p.br0.process(0, b, out, 0, 1_000_000L * k);
            }
            long used = mx.getCurrentThreadAllocatedBytes() - before;
            if (round == 2) assertTrue(used < 4096, used + " bytes allocated by 20,000 bursts across a patch pair");
        }
        assertTrue(p.paTx.get() >= 3 * 20_000 * 32, "every frame crossed: " + p.paTx.get());
    }
}
