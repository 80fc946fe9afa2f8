package io.xvio.datapath;

import io.xvio.datapath.tunnel.*;
import io.xvio.packet.FlowKey;
import net.jqwik.api.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Sending tun_metadata as Geneve options and receiving them back: for random TLV maps (tun_metadata0..7, 0/4/8-byte
 * options, critical or not) and random key words, what {@link GeneveOptionWriter} writes and {@link TunnelHeader}
 * pushes, {@link TunnelDecoder} accepts (a receiver with the same map), and {@link Underlay#options} loads the same
 * words back for every present field; the options are well formed, in field order, and the C bit says whether one
 * is critical. Random words over random maps never throw and always write exactly {@code length()} bytes.
 */
class GeneveOptionProperties {
    static final MemorySegment SLOT = Arena.ofAuto().allocate(4096);

    record Case(TunnelTlvMap map, long[] words, byte[] inner, boolean v6, boolean csum) {}

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.longs().map(seed -> {
            Random r = new Random(seed);
            List<TunnelTlvMap.Mapping> maps = new ArrayList<>();
            List<Integer> keys = new ArrayList<>();
            for (int n = 0; n < GeneveOptionWriter.WORDS; n++) {
                if (r.nextInt(3) == 0) continue;
                int c, t;
                do { c = r.nextInt(0x10000); t = r.nextInt(0x100); } while (keys.contains(c << 8 | t));
                keys.add(c << 8 | t);
                maps.add(new TunnelTlvMap.Mapping(c, t, 4 * r.nextInt(3), n));
            }
            TunnelTlvMap map = maps.isEmpty() ? TunnelTlvMap.EMPTY : TunnelTlvMap.EMPTY.add(maps);
            long[] w = new long[FlowKey.WORDS];
            for (int n = 0; n < GeneveOptionWriter.WORDS; n++) {
                int kind = r.nextInt(4);
                w[FlowKey.TUN_METADATA0 + n] = kind == 0 ? 0 : kind == 1 ? r.nextInt(256) : r.nextLong();
                if (r.nextInt(4) != 0) w[FlowKey.TUN_MISC] |= 1L << (FlowKey.TUN_METADATA_PRESENT + n);   // present (0 too)
            }
            byte[] inner = new byte[14 + r.nextInt(300)];
            r.nextBytes(inner);
            return new Case(map, w, inner, r.nextBoolean(), r.nextBoolean());
        });
    }

    /** The words a receiver with the same map sees for what a sender's words become (option data = low len bytes). */
    static long sent(TunnelTlvMap.Mapping m, long v) {
        if (m.len() == 0) return 0;
        return m.len() == 8 ? v : v & 0xffffffffL;
    }

    static boolean present(long[] w, int n) { return (w[FlowKey.TUN_MISC] >>> (FlowKey.TUN_METADATA_PRESENT + n) & 1) != 0; }

    @Property(tries = 1000)
    void optionsSentAreTheFieldsReceived(@ForAll("cases") Case c) throws Exception {
        GeneveOptionWriter gw = GeneveOptionWriter.of(c.map());
        InetAddress src = InetAddress.getByName(c.v6() ? "fd00:31::1" : "172.31.0.1"), dst = InetAddress.getByName(c.v6() ? "fd00:31::2" : "172.31.0.2");
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, 1, 2, src, dst, 6081, 77, 0, 64, true, c.csum(), false, null));
        SLOT.fill((byte) 0x5a);
        long in = 1024;
        MemorySegment.copy(c.inner(), 0, SLOT, JAVA_BYTE, in, c.inner().length);
        int ol = gw.length(c.words(), FlowKey.TUN_METADATA0);
        boolean crit = gw.write(c.words(), FlowKey.TUN_METADATA0, SLOT, in - ol);
        long o = ol == 0 ? h.push(SLOT, in, c.inner().length, 1, 2) : h.push(SLOT, in, c.inner().length, 1, 2, ol, crit);
        assertEquals(in - ol - h.length(), o);
        TunnelMetadata md = new TunnelMetadata();
        int inner = new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(dst), c.map(), new TunnelDrops())
                .pop(SLOT, o, h.length() + ol + c.inner().length, md, 0);
        assertTrue(inner > 0, String.valueOf(md.drop));
        assertEquals(ol, md.optLen);
        assertArrayEquals(c.inner(), SLOT.asSlice(o + inner, md.innerLength).toArray(JAVA_BYTE));
        long g = o + h.length() - 8;
        assertEquals(crit, (SLOT.get(JAVA_BYTE, g + 1) & 0x40) != 0);
        // in field order, each option the map's
        int last = -1, at = 0;
        for (GeneveOptions.Option opt : GeneveOptions.decode(md.options, md.optLen)) {
            TunnelTlvMap.Mapping m = c.map().mappings().stream().filter(x -> x.optClass() == opt.optClass() && x.type() == opt.type()).findFirst().orElseThrow();
            assertTrue(m.index() > last);
            last = m.index();
            assertEquals(m.len(), opt.data().length);
            at += opt.wireLength();
        }
        assertEquals(ol, at);
        FlowKey k = new FlowKey();
        Underlay.options(k, md, c.map());
        for (TunnelTlvMap.Mapping m : c.map().mappings()) {
            boolean p = present(c.words(), m.index());
            assertEquals(p, present(k.w, m.index()), "present on both sides (a value of 0 too): " + m);
            assertEquals(p ? sent(m, c.words()[FlowKey.TUN_METADATA0 + m.index()]) : 0, k.w[FlowKey.TUN_METADATA0 + m.index()], m.toString());
        }
        for (int n = 0; n < GeneveOptionWriter.WORDS; n++)
            if (c.map().get(n) == null) {
                assertEquals(0, k.w[FlowKey.TUN_METADATA0 + n], "unmapped tun_metadata" + n);
                assertFalse(present(k.w, n), "unmapped tun_metadata" + n + " not present");
            }
    }

    @Property(tries = 2000)
    void randomWordsNeverThrowAndWriteExactlyTheirLength(@ForAll("cases") Case c, @ForAll long fill) {
        GeneveOptionWriter gw = GeneveOptionWriter.of(c.map());
        long[] w = c.words();
        int ol = gw.length(w, FlowKey.TUN_METADATA0);
        assertTrue(ol >= 0 && ol <= 8 * 12 && ol % 4 == 0);
        SLOT.fill((byte) fill);
        gw.write(w, FlowKey.TUN_METADATA0, SLOT, 100);
        byte[] got = SLOT.asSlice(100, ol).toArray(JAVA_BYTE);
        assertEquals(ol, GeneveOptions.decode(got, ol).stream().mapToInt(GeneveOptions.Option::wireLength).sum());
        assertEquals((byte) fill, SLOT.get(JAVA_BYTE, 100 + ol), "nothing written past length()");
        assertEquals((byte) fill, SLOT.get(JAVA_BYTE, 99), "nothing written before");
    }
}
