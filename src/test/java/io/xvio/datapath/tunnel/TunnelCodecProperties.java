package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Encapsulation and decapsulation over random headers and frames: what {@link TunnelHeader#push} writes,
 * {@link TunnelDecoder#pop} takes back unchanged (inner frame, VNI, addresses, tos/ttl, ports, flags, options), with
 * valid IPv4 and UDP checksums; random bytes and random corruptions of valid frames never throw and never give an
 * inner frame outside the outer one.
 */
class TunnelCodecProperties {
    static final MemorySegment SLOT = Arena.ofAuto().allocate(4096);

    record Packet(TunnelHeader header, byte[] inner, int hash, int ipId, InetAddress dst) {}

    @Provide
    Arbitrary<Packet> packets() {
        return Arbitraries.longs().map(seed -> {
            Random r = new Random(seed);
            boolean geneve = r.nextBoolean(), v6 = r.nextBoolean();
            InetAddress src = v6 ? addr6(r) : addr4(r), dst = v6 ? addr6(r) : addr4(r);
            byte[] opts = new byte[0];
            if (geneve && r.nextBoolean()) {
                List<GeneveOptions.Option> l = new ArrayList<>();
                int room = 252;
                while (room >= 4 && r.nextInt(3) > 0) {
                    int dl = 4 * r.nextInt(Math.min(31, (room - 4) / 4) + 1);
                    if (4 + dl > room) break;
                    byte[] d = new byte[dl];
                    r.nextBytes(d);
                    l.add(new GeneveOptions.Option(r.nextInt(0x10000), r.nextInt(0x80), d));   // not critical
                    room -= 4 + dl;
                }
                opts = new byte[252 - room];
                GeneveOptions.encode(l, opts);
            }
            TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(geneve ? TunnelType.GENEVE : TunnelType.VXLAN,
                    r.nextLong() & 0xffffffffffffL, r.nextLong() & 0xffffffffffffL, src, dst, 1 + r.nextInt(65535),
                    r.nextInt(0x1000000), r.nextInt(256), 1 + r.nextInt(255), r.nextBoolean(), r.nextBoolean(),
                    geneve && r.nextBoolean(), opts));
            byte[] inner = new byte[14 + r.nextInt(1500)];
            r.nextBytes(inner);
            return new Packet(h, inner, r.nextInt(), r.nextInt(0x10000), dst);
        });
    }

    static InetAddress addr4(Random r) {
        byte[] b = new byte[4];
        r.nextBytes(b);
        return TunnelMetadata.address(false, r.nextInt(), 0, 0);
    }

    static InetAddress addr6(Random r) { return TunnelMetadata.address(true, 0, r.nextLong(), r.nextLong()); }

    static long place(Packet p) {
        SLOT.fill((byte) 0x5a);
        MemorySegment.copy(p.inner, 0, SLOT, JAVA_BYTE, 1024, p.inner.length);
        return p.header.push(SLOT, 1024, p.inner.length, p.hash, p.ipId);
    }

    static TunnelDecoder decoder(TunnelHeader.Spec s, TunnelDrops drops) {
        return new TunnelDecoder(s.type(), s.dstPort(), List.of(s.dst()), TunnelDecoder.KnownOptions.NONE, drops);
    }

    @Property(tries = 1000)
    void popTakesBackWhatPushWrote(@ForAll("packets") Packet p) {
        long o = place(p);
        TunnelHeader.Spec s = p.header.spec();
        int len = p.inner.length + p.header.length();
        // checksums as a receiver checks them
        if (!p.header.ipv6()) assertEquals(0xffff, Checksum.fold(Checksum.sum(SLOT, o + 14, 20)));
        TunnelMetadata md = new TunnelMetadata();
        TunnelDrops drops = new TunnelDrops();
        assertEquals(p.header.length(), decoder(s, drops).pop(SLOT, o, len, md, 0), String.valueOf(md.drop));
        assertArrayEquals(p.inner, SLOT.asSlice(o + md.innerOffset, md.innerLength).toArray(JAVA_BYTE));
        assertEquals(s.vni(), md.tunId);
        assertEquals(s.src(), md.source());
        assertEquals(s.dst(), md.destination());
        assertEquals(s.tos(), md.tos);
        assertEquals(s.ttl(), md.ttl);
        assertEquals(TunnelHeader.sourcePort(p.hash), md.tpSrc);
        assertEquals(s.dstPort(), md.tpDst);
        assertEquals(s.oam(), (md.flags & TunnelMetadata.F_OAM) != 0);
        assertEquals(s.csum(), (md.flags & TunnelMetadata.F_CSUM) != 0);
        assertEquals(s.df() && !p.header.ipv6(), (md.flags & TunnelMetadata.F_DONT_FRAGMENT) != 0);
        assertArrayEquals(s.options(), java.util.Arrays.copyOf(md.options, md.optLen));
        assertEquals(GeneveOptions.decode(s.options(), s.options().length), GeneveOptions.decode(md.options, md.optLen));
        assertTrue(drops.nonZero().isEmpty());
    }

    /** A pushed header with the checksum asked for is one a receiver verifies; any one flipped bit past the IP header then fails. */
    @Property(tries = 500)
    void udpChecksumCoversTheWholeDatagram(@ForAll("packets") Packet p, @ForAll @IntRange(max = 1 << 20) int where, @ForAll @IntRange(max = 7) int bit) {
        Assume.that(p.header.spec().csum());
        long o = place(p);
        int len = p.inner.length + p.header.length();
        int l4 = p.header.ipv6() ? 54 : 34;
        int at = l4 + where % (len - l4);
        Assume.that(at != l4 + 6 && at != l4 + 7);   // the checksum field itself (0 would mean "none")
        SLOT.set(JAVA_BYTE, o + at, (byte) (SLOT.get(JAVA_BYTE, o + at) ^ (1 << bit)));
        TunnelMetadata md = new TunnelMetadata();
        assertEquals(-1, decoder(p.header.spec(), new TunnelDrops()).pop(SLOT, o, len, md, 0));
        assertNotNull(md.drop);
    }

    @Property(tries = 3000)
    void randomBytesNeverThrow(@ForAll @Size(max = 400) byte[] bytes, @ForAll boolean geneve, @ForAll @IntRange(max = 3) int prefix) {
        // a valid-looking Ethernet/IP start now and then, so that the checks past the first get reached
        if (prefix > 0 && bytes.length >= 14) { bytes[12] = 8; bytes[13] = 0; if (bytes.length > 14) bytes[14] = 0x45; }
        if (prefix > 1 && bytes.length >= 14) { bytes[12] = (byte) 0x86; bytes[13] = (byte) 0xdd; if (bytes.length > 14) bytes[14] = 0x60; }
        MemorySegment s = MemorySegment.ofArray(bytes);
        TunnelMetadata md = new TunnelMetadata();
        TunnelDrops drops = new TunnelDrops();
        int r = new TunnelDecoder(geneve ? TunnelType.GENEVE : TunnelType.VXLAN, geneve ? 6081 : 4789, List.of(),
                (c, t, l) -> c == 0x0102, drops).pop(s, 0, bytes.length, md, 1);
        if (r >= 0) assertTrue(r + md.innerLength <= bytes.length && md.innerLength >= 14);
        else assertEquals(1, drops.get(md.drop));
    }

    @Property(tries = 3000)
    void corruptedFramesNeverThrow(@ForAll("packets") Packet p, @ForAll @Size(min = 1, max = 8) List<@IntRange(max = 400) Integer> at,
                                   @ForAll byte value, @ForAll @IntRange(max = 60) int cut) {
        long o = place(p);
        int len = p.inner.length + p.header.length();
        for (int a : at) if (a < len) SLOT.set(JAVA_BYTE, o + a, value);
        int l = Math.max(0, len - cut);
        TunnelMetadata md = new TunnelMetadata();
        int r = decoder(p.header.spec(), new TunnelDrops()).pop(SLOT, o, l, md, 0);
        if (r >= 0) assertTrue(r + md.innerLength <= l && md.innerLength >= 14);
        else assertNotNull(md.drop);
    }
}
