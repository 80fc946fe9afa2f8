package io.xvio.datapath.tunnel;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The per-packet paths allocate nothing: push, pop (good and dropped frames), Geneve options, neighbour lookups,
 * misses, ARP/ND answers and the TLV map's find, measured with the JVM's per-thread allocation counter after warm-up.
 */
class TunnelAllocationTest {
    @SuppressWarnings("restriction")
    static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void perPacketPathsDoNotAllocate() {
        byte[] o16 = new byte[8];
        GeneveOptions.encode(List.of(new GeneveOptions.Option(0x102, 0x80, new byte[]{0, 0, 0, 1})), o16);
        TunnelHeader vx = new TunnelHeader(TunnelCodecTest.vxlan(TunnelCodecTest.A6, TunnelCodecTest.B6, true));
        TunnelHeader gn = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, 1, 2, TunnelCodecTest.A, TunnelCodecTest.B, 6081, 7, 0, 64, true, true, false, o16));
        TunnelTlvMap map = TunnelTlvMap.EMPTY.add(TunnelTlvMap.parse("{class=0x102,type=0x80,len=4}->tun_metadata0"));
        TunnelDrops drops = new TunnelDrops();
        TunnelDecoder dv = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(TunnelCodecTest.B6), TunnelDecoder.KnownOptions.NONE, drops);
        TunnelDecoder dg = new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(TunnelCodecTest.B), map, drops);
        NeighborCache cache = new NeighborCache();
        cache.learn(IpAddr.parse("172.31.0.2", "t"), 0x0200_0000_0002L, 0);
        NeighborAgent agent = new NeighborAgent(0x0200_0000_0001L, List.of(Prefix.parse("172.31.0.1/24", "t"), Prefix.parse("fd00::1/64", "t")), cache);
        NeighborAgent.Scratch x = new NeighborAgent.Scratch();
        MemorySegment s = Arena.ofAuto().allocate(8192), arp = Arena.ofAuto().allocate(128), ns = Arena.ofAuto().allocate(128),
                out = Arena.ofAuto().allocate(256);
        Arp.request(arp, 0, 0x0200_0000_0002L, IpAddr.parse("172.31.0.2", "t").v4(), IpAddr.parse("172.31.0.1", "t").v4());
        Ndp.solicit(ns, 0, 0x0200_0000_0002L, IpAddr.parse("fd00::2", "t"), IpAddr.parse("fd00::1", "t"));
        TunnelMetadata md = new TunnelMetadata();
        long sum = 0;
        for (int round = 0; round < 3; round++) {
            long before = allocated();
            for (int i = 0; i < 20_000; i++) {
                long o = vx.push(s, 1024, 200, i, i);
                sum += dv.pop(s, o, 200 + vx.length(), md, 0);
                sum += dv.pop(s, o, 30, md, 0);                    // a drop
                o = gn.push(s, 4096, 200, i, i);
                sum += dg.pop(s, o, 200 + gn.length(), md, 0);
                sum += map.find(md.options, md.optLen, 0);
                sum += cache.lookup(IpAddr.V4_HI, IpAddr.V4_LO_TAG | 0xac1f0002L);
                if ((i & 1023) == 0) cache.miss(IpAddr.V4_HI, IpAddr.V4_LO_TAG | 0xac1f0009L);
                sum += agent.receive(arp, 0, 60, out, 0, x);
                sum += agent.receive(ns, 0, 86, out, 0, x);
            }
            long used = allocated() - before;
            // the counter's own reading costs a few hundred bytes; one allocation per round would be 20,000 x 16 or more
            if (round == 2) assertTrue(used < 4096, used + " bytes allocated by 20,000 rounds of the per-packet paths");
        }
        assertNotEquals(0, sum);
        assertEquals(60_000, drops.get(TunnelDrop.TRUNCATED));
    }
}
