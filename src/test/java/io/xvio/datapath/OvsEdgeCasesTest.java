package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.*;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Where Open vSwitch's behaviour is subtle and xvio must match it (issue: hardening, items 8-10): reserved
 * multicast under NORMAL, the fragment handling modes, and headers whose lengths lie. Each case runs with the
 * caches on (twice, so the second pass is a cache hit) and off.
 */
class OvsEdgeCasesTest {
    private static final long A = 0x020000000001L, B = 0x020000000002L, BCAST = 0xffffffffffffL;

    /** Ethernet + IPv4 (total length as given, or the real one if -1) + payload bytes. */
    private static byte[] ipv4(long dst, long src, int proto, int fragField, int totalLength, byte[] l4, int padTo) {
        int len = Math.max(14 + 20 + l4.length, padTo);
        ByteBuffer bb = ByteBuffer.allocate(len);
        bb.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src).putShort((short) 0x0800);
        bb.put((byte) 0x45).put((byte) 0).putShort((short) (totalLength >= 0 ? totalLength : 20 + l4.length)).putShort((short) 1)
                .putShort((short) fragField).put((byte) 64).put((byte) proto).putShort((short) 0).putInt(0x0a000001).putInt(0x0a000002);
        bb.put(l4);
        return bb.array();
    }

    private static byte[] udp(int sport, int dport, int payload) {
        ByteBuffer bb = ByteBuffer.allocate(8 + payload);
        bb.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload)).putShort((short) 0);
        return bb.array();
    }

    private static byte[] tcp(int sport, int dport) {
        ByteBuffer bb = ByteBuffer.allocate(20);
        bb.putShort((short) sport).putShort((short) dport).putInt(1).putInt(0).put((byte) 0x50).put((byte) 0x02).putShort((short) 1000).putInt(0);
        return bb.array();
    }

    private static byte[] eth(long dst, long src, int type, int len) {
        ByteBuffer bb = ByteBuffer.allocate(len);
        bb.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src).putShort((short) type);
        return bb.array();
    }

    /** Runs frame through dp from port index inPort; returns port index -> bytes sent there. */
    private static Map<Integer, byte[]> send(BridgeDatapath dp, int inPort, byte[] frame) {
        PacketBatch b = new PacketBatch();
        MemorySegment.copy(frame, 0, b.data, JAVA_BYTE, b.off[0], frame.length);
        b.len[0] = frame.length;
        b.count = 1;
        Outputs out = new Outputs(16);
        dp.process(inPort, b, out, 0, System.nanoTime());
        Map<Integer, byte[]> res = new TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            int idx = out.packetsFor(p)[0];
            byte[] bytes = new byte[b.len[idx]];
            MemorySegment.copy(b.data, JAVA_BYTE, b.off[idx], bytes, 0, bytes.length);
            res.put(p, bytes);
        }
        return res;
    }

    private static BridgeDatapath bridge(boolean cached, String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setCacheEnabled(cached);
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        return dp;
    }

    /** The set of port indices frame goes to, checked to be the same on a second (cached) pass. */
    private static Set<Integer> where(BridgeDatapath dp, byte[] frame) {
        Set<Integer> first = send(dp, 0, frame).keySet();
        assertEquals(first, send(dp, 0, frame).keySet(), "the cached decision equals the first one");
        return first;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void normalDropsReservedMulticastAndLearnsNothingFromIt(boolean cached) {
        BridgeDatapath dp = bridge(cached, "priority=0,actions=NORMAL");
        for (long dst : new long[] {0x0180c2000000L, 0x0180c200000eL, 0x0180c2000003L, 0x01000cccccccL, 0x01000cccccc5L, 0x00e02b000004L})
            assertEquals(Set.of(), where(dp, eth(dst, A, 0x88cc, 64)), Long.toHexString(dst));
        assertEquals(12, dp.drops().get(DatapathDrops.Reason.RESERVED_MAC));
        assertTrue(dp.macs().entries(System.nanoTime()).isEmpty(), "a dropped reserved frame teaches no address");
        // just outside the reserved ranges: flooded
        assertEquals(Set.of(1, 2), where(dp, eth(0x0180c2000010L, A, 0x88cc, 64)));
        assertEquals(Set.of(1, 2), where(dp, eth(0x01000cccccc8L, A, 0x88cc, 64)));
        // forward-bpdu: flooded like any multicast
        dp.setOptions(FragMode.NORMAL, true);
        assertEquals(Set.of(1, 2), where(dp, eth(0x0180c200000eL, A, 0x88cc, 64)));
    }

    @Test
    void aFrameWithAVlanTypeButNoWholeTagIsDroppedByNormal() {
        BridgeDatapath dp = bridge(true, "priority=0,actions=NORMAL");
        assertEquals(Set.of(), where(dp, eth(BCAST, A, 0x8100, 16)));
        assertEquals(2, dp.droppedVlan());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void fragmentModes(boolean cached) {
        BridgeDatapath dp = bridge(cached, "priority=20,udp,tp_dst=53,actions=output:2", "priority=10,udp,actions=output:3",
                "priority=0,actions=drop");
        byte[] whole = ipv4(B, A, 17, 0, -1, udp(1000, 53, 20), 0);
        byte[] first = ipv4(B, A, 17, 0x2000, -1, udp(1000, 53, 20), 0);       // MF set, offset 0
        byte[] later = ipv4(B, A, 17, 0x0003, -1, udp(1000, 53, 20), 0);       // offset 24 bytes, last
        for (int round = 0; round < 2; round++) {      // interleaved: no cached decision leaks between them
            assertEquals(Set.of(1), where(dp, whole), "normal: a whole datagram matches its port");
            assertEquals(Set.of(2), where(dp, first), "normal: a first fragment's ports are 0 for lookups");
            assertEquals(Set.of(2), where(dp, later));
        }
        dp.setOptions(FragMode.NX_MATCH, false);
        assertEquals(FragMode.NX_MATCH, dp.fragMode());
        for (int round = 0; round < 2; round++) {
            assertEquals(Set.of(1), where(dp, whole));
            assertEquals(Set.of(1), where(dp, first), "nx-match: a first fragment keeps its ports");
            assertEquals(Set.of(2), where(dp, later), "nx-match: later fragments have none");
        }
        dp.setOptions(FragMode.DROP, false);
        for (int round = 0; round < 2; round++) {
            assertEquals(Set.of(1), where(dp, whole));
            assertEquals(Set.of(), where(dp, first), "drop: fragments never reach the tables");
            assertEquals(Set.of(), where(dp, later));
        }
        assertEquals(8, dp.drops().get(DatapathDrops.Reason.FRAGMENT));
    }

    @Test
    void dropModeAppliesToANormalOnlyBridgeToo() {
        BridgeDatapath dp = bridge(true, "priority=0,actions=NORMAL");
        byte[] first = ipv4(BCAST, A, 17, 0x2000, -1, udp(1000, 53, 20), 0);
        assertEquals(Set.of(1, 2), where(dp, first));
        dp.setOptions(FragMode.DROP, false);
        assertEquals(Set.of(), where(dp, first));
    }

    @Test
    void inNormalModeActionsStillSeeAFragmentsRealPorts() {
        // OVS zeroes the ports for the lookup only: move reads the real destination port
        BridgeDatapath dp = bridge(false, "priority=10,udp,actions=move:NXM_OF_UDP_DST[]->NXM_NX_REG0[0..15],resubmit(,1)",
                "table=1,reg0=53,actions=output:2", "table=1,priority=0,actions=output:3");
        assertEquals(Set.of(1), where(dp, ipv4(B, A, 17, 0x2000, -1, udp(1000, 53, 20), 0)));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void ipv4HeadersThatLieAreIpByTypeOnly(boolean cached) {
        BridgeDatapath dp = bridge(cached, "priority=30,ip,nw_dst=10.0.0.2,actions=output:2", "priority=20,ip,actions=output:3",
                "priority=0,actions=drop");
        assertEquals(Set.of(1), where(dp, ipv4(B, A, 17, 0, -1, udp(1, 2, 10), 60)), "a valid header with padding");
        assertEquals(Set.of(2), where(dp, ipv4(B, A, 17, 0, 200, udp(1, 2, 10), 60)), "total length beyond the frame");
        assertEquals(Set.of(2), where(dp, ipv4(B, A, 17, 0, 19, udp(1, 2, 10), 60)), "total length under the header's");
        byte[] badIhl = ipv4(B, A, 17, 0, -1, udp(1, 2, 10), 60);
        badIhl[14] = 0x44;
        assertEquals(Set.of(2), where(dp, badIhl), "header length 16");
        badIhl[14] = 0x4f;
        assertEquals(Set.of(2), where(dp, badIhl), "header length 60, beyond the total length");
        byte[] v6nibble = ipv4(B, A, 17, 0, -1, udp(1, 2, 10), 60);
        v6nibble[14] = 0x65;
        assertEquals(Set.of(1), where(dp, v6nibble), "the version nibble is not checked (as OVS)");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void l4IsReadWithinTheIpTotalLengthOnly(boolean cached) {
        BridgeDatapath dp = bridge(cached, "priority=30,tcp,tp_dst=80,actions=output:2", "priority=20,tcp,actions=output:3",
                "priority=0,actions=drop");
        byte[] f = ipv4(B, A, 6, 0, -1, tcp(1000, 80), 64);
        assertEquals(Set.of(1), where(dp, f));
        // the same bytes, but the IP total length ends inside the TCP header: the rest is padding, no TCP ports
        byte[] cut = f.clone();
        cut[16] = 0; cut[17] = 30;
        assertEquals(Set.of(2), where(dp, cut));
        // a TCP data offset under 5 words: no TCP fields either
        byte[] off = f.clone();
        off[14 + 20 + 12] = 0x40;
        assertEquals(Set.of(2), where(dp, off));
        assertEquals(Set.of(1), where(dp, f), "the valid frame still takes its own decision");
    }

    @Test
    void decTtlAndRewritesLeaveALyingHeaderAloneAndStopOnlyTheirFlow() {
        BridgeDatapath dp = bridge(true, "priority=10,in_port=1,actions=resubmit(,1),output:3",
                "table=1,ip,actions=dec_ttl,mod_nw_src:1.2.3.4,output:2");
        byte[] lying = ipv4(B, A, 17, 0, 300, udp(1, 2, 10), 60);
        Map<Integer, byte[]> out = send(dp, 0, lying);
        // ttl is 0 for a header that lies: dec_ttl ends table 1's actions (no output:2), the resubmitting flow goes on
        assertEquals(Set.of(2), out.keySet());
        assertArrayEquals(lying, out.get(2), "nothing rewritten");
        assertEquals(1, dp.droppedTtl());
        byte[] good = ipv4(B, A, 17, 0, -1, udp(1, 2, 10), 60);
        out = send(dp, 0, good);
        assertEquals(Set.of(1, 2), out.keySet());
        assertEquals(63, out.get(1)[22] & 0xff);
    }

    @Test
    void ipv6ExtraLengthsAndLaterFragmentsAsOvsExtractsThem() {
        FlowKey k = new FlowKey();
        // IPv6 + fragment header (offset 8, later) + 8 bytes: nw_proto is 44, nw_frag later, no L4
        ByteBuffer bb = ByteBuffer.allocate(14 + 40 + 8 + 8);
        bb.putShort((short) 0x0200).putInt(2).putShort((short) 0x0200).putInt(1).putShort((short) 0x86dd);
        bb.putInt(0x60000000).putShort((short) 16).put((byte) 44).put((byte) 64);
        bb.putLong(0x20010db800000000L).putLong(1).putLong(0x20010db800000000L).putLong(2);
        bb.put((byte) 17).put((byte) 0).putShort((short) 8).putInt(7);
        bb.putShort((short) 1000).putShort((short) 53).putShort((short) 8).putShort((short) 0);
        byte[] f = bb.array();
        MemorySegment s = MemorySegment.ofArray(f);
        k.extract(s, 0, f.length, 1);
        assertEquals(44, k.w[FlowKey.NW_PROTO]);
        assertEquals(FlowKey.FRAG_ANY | FlowKey.FRAG_LATER, k.w[FlowKey.NW_FRAG]);
        assertEquals(0, k.w[FlowKey.TP_DST]);
        // the same as a first fragment (offset 0, more fragments): UDP is there
        f[14 + 40 + 2] = 0; f[14 + 40 + 3] = 1;
        k.extract(MemorySegment.ofArray(f), 0, f.length, 1);
        assertEquals(17, k.w[FlowKey.NW_PROTO]);
        assertEquals(FlowKey.FRAG_ANY, k.w[FlowKey.NW_FRAG]);
        assertEquals(53, k.w[FlowKey.TP_DST]);
        // a payload length beyond the frame: IPv6 by type only
        f[18] = 1;
        k.extract(MemorySegment.ofArray(f), 0, f.length, 1);
        assertEquals(0, k.w[FlowKey.IPV6_SRC_LO]);
        assertEquals(0, k.w[FlowKey.NW_PROTO]);
        assertNotEquals(0, k.w[FlowKey.NW_FRAG] & FlowKey.L3_INVALID);
    }

    @Test
    void arpThatIsNotEthernetIpv4HasNoArpFields() {
        FlowKey k = new FlowKey();
        ByteBuffer bb = ByteBuffer.allocate(60);
        bb.putShort((short) 0xffff).putInt(-1).putShort((short) 0x0200).putInt(1).putShort((short) 0x0806);
        bb.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1)
                .putShort((short) 0x0200).putInt(1).putInt(0x0a000001).putShort((short) 0).putInt(0).putInt(0x0a000002);
        byte[] f = bb.array();
        k.extract(MemorySegment.ofArray(f), 0, f.length, 1);
        assertEquals(0x0a000002, k.w[FlowKey.NW_DST]);
        assertEquals(1, k.w[FlowKey.NW_PROTO]);
        f[15] = 6;     // hardware type 6 (IEEE 802)
        k.extract(MemorySegment.ofArray(f), 0, f.length, 1);
        assertEquals(0, k.w[FlowKey.NW_DST]);
        assertEquals(0, k.w[FlowKey.NW_PROTO]);
    }
}
