package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

class TunnelCodecTest {
    static final InetAddress A = InetAddress.ofLiteral("172.31.0.1"), B = InetAddress.ofLiteral("172.31.0.2");
    static final InetAddress A6 = InetAddress.ofLiteral("fd00::1"), B6 = InetAddress.ofLiteral("fd00::2");
    static final long MAC_A = 0x02_00_00_00_00_01L, MAC_B = 0x02_00_00_00_00_02L;

    /** A 60-byte inner frame: broadcast ARP-ish bytes, recognisable. */
    static byte[] inner() {
        byte[] f = new byte[60];
        for (int i = 0; i < f.length; i++) f[i] = (byte) (i * 7 + 1);
        return f;
    }

    static MemorySegment slot() { return Arena.ofAuto().allocate(16384); }

    static TunnelHeader.Spec vxlan(InetAddress src, InetAddress dst, boolean csum) {
        return new TunnelHeader.Spec(TunnelType.VXLAN, MAC_A, MAC_B, src, dst, 4789, 100, 0, 64, true, csum, false, null);
    }

    static String hex(MemorySegment s, long off, int len) {
        return HexFormat.of().formatHex(s.asSlice(off, len).toArray(JAVA_BYTE));
    }

    @Test
    void vxlanIpv4HeaderByteForByte() {
        TunnelHeader h = new TunnelHeader(vxlan(A, B, false));
        assertEquals(50, h.length());
        assertEquals(36, h.overhead());
        MemorySegment s = slot();
        MemorySegment.copy(inner(), 0, s, JAVA_BYTE, 256, 60);
        long o = h.push(s, 256, 60, 0x8000_0000, 0x1234);
        assertEquals(206, o);
        // eth: dst, src, IPv4; IP: 45 00, total 96 (0x60), id 0x1234, DF, ttl 64, UDP, checksum, 172.31.0.1 -> .2;
        // UDP: sport 49152 + 8192 = 57344 (0xe000), 4789 (0x12b5), length 76 (0x4c), no checksum; VXLAN: I, VNI 100
        String ip = "4500006012344000" + "4011" + "0000" + "ac1f0001ac1f0002";
        byte[] ipb = HexFormat.of().parseHex(ip);
        int c = ~Checksum.fold(Checksum.sum(MemorySegment.ofArray(ipb), 0, 20)) & 0xffff;
        ip = ip.substring(0, 20) + String.format("%04x", c) + ip.substring(24);
        assertEquals("020000000002" + "020000000001" + "0800" + ip + "e00012b5004c0000" + "0800000000006400",
                hex(s, o, 50));
        assertArrayEquals(inner(), s.asSlice(o + 50, 60).toArray(JAVA_BYTE));
        assertEquals("tnl_push(header(size=50,type=vxlan,eth(dst=02:00:00:00:00:02,src=02:00:00:00:00:01),ipv4(src=172.31.0.1,"
                + "dst=172.31.0.2,tos=0x0,ttl=64,frag=0x4000),udp(dst=4789,csum=0),vxlan(vni=0x64)))", h.toString());
    }

    @Test
    void pushThenPopGivesTheInnerFrameAndMetadata() {
        for (boolean v6 : new boolean[]{false, true})
            for (boolean csum : new boolean[]{false, true}) {
                TunnelHeader h = new TunnelHeader(vxlan(v6 ? A6 : A, v6 ? B6 : B, csum));
                assertEquals(v6 ? 70 : 50, h.length());
                MemorySegment s = slot();
                MemorySegment.copy(inner(), 0, s, JAVA_BYTE, 512, 60);
                long o = h.push(s, 512, 60, 12345, 7);
                TunnelDrops drops = new TunnelDrops();
                TunnelDecoder d = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(v6 ? B6 : B), TunnelDecoder.KnownOptions.NONE, drops);
                TunnelMetadata md = new TunnelMetadata();
                int in = d.pop(s, o, 60 + h.length(), md, 0);
                assertEquals(h.length(), in, v6 + " " + csum + " " + md.drop);
                assertEquals(60, md.innerLength);
                assertEquals(100, md.tunId);
                assertEquals(v6 ? A6 : A, md.source());
                assertEquals(v6 ? B6 : B, md.destination());
                assertEquals(64, md.ttl);
                assertEquals(TunnelHeader.sourcePort(12345), md.tpSrc);
                assertEquals(4789, md.tpDst);
                assertEquals(csum, (md.flags & TunnelMetadata.F_CSUM) != 0);
                assertEquals(!v6, (md.flags & TunnelMetadata.F_DONT_FRAGMENT) != 0);
                assertEquals(0, drops.get(TunnelDrop.BAD_UDP_CHECKSUM));
            }
    }

    @Test
    void geneveWithOptionsAndCriticalBit() {
        byte[] o16 = new byte[16];
        assertEquals(16, GeneveOptions.encode(List.of(new GeneveOptions.Option(0x0102, 0x80, new byte[]{0, 0, 0, 10}),
                new GeneveOptions.Option(0xffff, 0x01, new byte[]{1, 2, 3, 4})), o16));
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, MAC_A, MAC_B, A, B, 6081, 0xabcdef, 0x20, 10, false, true, true, o16));
        assertEquals(14 + 20 + 8 + 8 + 16, h.length());
        MemorySegment s = slot();
        MemorySegment.copy(inner(), 0, s, JAVA_BYTE, 512, 60);
        long o = h.push(s, 512, 60, 1, 1);
        // Geneve base header: ver 0, opt_len 4 words, O and C set, protocol 0x6558, VNI
        assertEquals("04c06558abcdef00", hex(s, o + 42, 8));
        assertEquals("010280010000000a", hex(s, o + 50, 8));
        TunnelMetadata md = new TunnelMetadata();
        TunnelDrops drops = new TunnelDrops();
        TunnelDecoder unknown = new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(B), TunnelDecoder.KnownOptions.NONE, drops);
        assertEquals(-1, unknown.pop(s, o, 60 + h.length(), md, 0));
        assertEquals(TunnelDrop.UNKNOWN_CRITICAL_OPTION, md.drop);
        assertEquals(1, drops.get(TunnelDrop.UNKNOWN_CRITICAL_OPTION));
        TunnelDecoder knows = new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(B), (c, t, l) -> c == 0x0102 && t == 0x80 && l == 4, drops);
        assertEquals(h.length(), knows.pop(s, o, 60 + h.length(), md, 0));
        assertEquals(0xabcdef, md.tunId);
        assertEquals(0x20, md.tos);
        assertEquals(10, md.ttl);
        assertEquals(TunnelMetadata.F_OAM | TunnelMetadata.F_CSUM | TunnelMetadata.F_KEY, md.flags);
        assertEquals(16, md.optLen);
        assertEquals(4, GeneveOptions.find(md.options, md.optLen, 0x0102, 0x80, 4));
        assertEquals(-1, GeneveOptions.find(md.options, md.optLen, 0x0102, 0x81, 4));
        assertEquals("tun_id=0xabcdef,tun_src=172.31.0.1,tun_dst=172.31.0.2,tun_tos=32,tun_ttl=10,tun_tp_src=49152,tun_tp_dst=6081,"
                + "tun_flags=+oam,geneve({class=0x102,type=0x80,len=4,0x0000000a},{class=0xffff,type=0x1,len=4,0x01020304})", md.toString());
    }

    @Test
    void everyBadOuterHeaderIsACountedDropWithItsReason() {
        TunnelHeader h = new TunnelHeader(vxlan(A, B, true));
        int len = 60 + h.length();
        record Case(TunnelDrop reason, int at, int value) {}
        List<Case> cases = List.of(
                new Case(TunnelDrop.NOT_IP, 12, 0x09), new Case(TunnelDrop.BAD_IP_HEADER, 14, 0x55),
                new Case(TunnelDrop.BAD_IP_LENGTH, 16, 0x7f), new Case(TunnelDrop.IP_FRAGMENT, 20, 0x60),
                new Case(TunnelDrop.BAD_IP_CHECKSUM, 22, 0x3f), new Case(TunnelDrop.BAD_IP_CHECKSUM, 23, 0x06),
                new Case(TunnelDrop.WRONG_DESTINATION, 33, 9), new Case(TunnelDrop.BAD_UDP_LENGTH, 38, 0x70),
                new Case(TunnelDrop.WRONG_PORT, 37, 0xb6), new Case(TunnelDrop.BAD_UDP_CHECKSUM, 70, 0x55),
                new Case(TunnelDrop.VXLAN_FLAGS, 42, 0x00));
        for (Case c : cases) {
            MemorySegment s = slot();
            MemorySegment.copy(inner(), 0, s, JAVA_BYTE, 512, 60);
            long o = h.push(s, 512, 60, 3, 3);
            s.set(JAVA_BYTE, o + c.at, (byte) c.value);
            if (c.reason == TunnelDrop.NOT_UDP || c.reason == TunnelDrop.WRONG_DESTINATION || c.reason == TunnelDrop.IP_FRAGMENT)
                fixIpChecksum(s, o);
            if (c.reason == TunnelDrop.WRONG_DESTINATION || c.reason == TunnelDrop.WRONG_PORT || c.reason == TunnelDrop.VXLAN_FLAGS)
                s.set(Be.SHORT, o + 40, (short) 0);   // UDP checksum off: only the one check fails
            TunnelDrops drops = new TunnelDrops();
            TunnelMetadata md = new TunnelMetadata();
            int r = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(B), TunnelDecoder.KnownOptions.NONE, drops).pop(s, o, len, md, 3);
            assertEquals(-1, r, c.toString());
            assertEquals(c.reason, md.drop, c.toString());
            assertEquals(1, drops.get(c.reason));
            assertEquals(java.util.Map.of(c.reason.label, 1L), drops.nonZero());
        }
    }

    @Test
    void truncationsAndShortInnerFrames() {
        TunnelHeader h = new TunnelHeader(vxlan(A, B, false));
        MemorySegment s = slot();
        MemorySegment.copy(inner(), 0, s, JAVA_BYTE, 512, 60);
        long o = h.push(s, 512, 60, 3, 3);
        TunnelDecoder d = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(), TunnelDecoder.KnownOptions.NONE, new TunnelDrops());
        TunnelMetadata md = new TunnelMetadata();
        for (int len = 0; len < 110; len++) {
            int r = d.pop(s, o, len, md, 0);
            assertEquals(-1, r);
            assertTrue(md.drop == TunnelDrop.TRUNCATED || md.drop == TunnelDrop.BAD_IP_LENGTH, len + " " + md.drop);
        }
        // an inner frame of 13 bytes: the UDP datagram says so, the frame agrees
        TunnelHeader h2 = new TunnelHeader(vxlan(A, B, false));
        long o2 = h2.push(s, 1024, 13, 3, 3);
        assertEquals(-1, d.pop(s, o2, 63, md, 0));
        assertEquals(TunnelDrop.INNER_TOO_SHORT, md.drop);
        // padding after the UDP datagram (a 60-byte minimum frame) is not part of the inner frame
        long o3 = h2.push(s, 2048, 14, 3, 3);
        assertEquals(50, d.pop(s, o3, 90, md, 0));
        assertEquals(14, md.innerLength);
    }

    @Test
    void geneveVersionProtocolAndOptionLengths() {
        byte[] o8 = new byte[8];
        GeneveOptions.encode(List.of(new GeneveOptions.Option(1, 2, new byte[]{9, 9, 9, 9})), o8);
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, MAC_A, MAC_B, A, B, 6081, 5, 0, 64, true, false, false, o8));
        record Case(TunnelDrop reason, int at, int value) {}
        for (Case c : List.of(new Case(TunnelDrop.GENEVE_VERSION, 42, 0x42), new Case(TunnelDrop.OPTIONS_TOO_LONG, 42, 0x3f),
                new Case(TunnelDrop.GENEVE_PROTOCOL, 45, 0x59), new Case(TunnelDrop.BAD_OPTION_LENGTH, 53, 0x02),
                new Case(TunnelDrop.BAD_OPTION_LENGTH, 42, 0x01))) {
            MemorySegment s = slot();
            long o = h.push(s, 512, 60, 3, 3);
            s.set(JAVA_BYTE, o + c.at, (byte) c.value);
            TunnelMetadata md = new TunnelMetadata();
            assertEquals(-1, new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(B), TunnelDecoder.KnownOptions.NONE, new TunnelDrops()).pop(s, o, 60 + h.length(), md, 0), c.toString());
            assertEquals(c.reason, md.drop, c.toString());
        }
    }

    @Test
    void sourcePortsSpreadOverTheDynamicRange() {
        assertEquals(49152, TunnelHeader.sourcePort(0));
        assertEquals(65535, TunnelHeader.sourcePort(-1));
        assertEquals(57344, TunnelHeader.sourcePort(0x8000_0000));
    }

    @Test
    void mtuCheckAndReason() {
        TunnelHeader h = new TunnelHeader(vxlan(A, B, false));
        assertTrue(h.fits(1464, 1500));
        assertFalse(h.fits(1465, 1500));
        assertEquals("encap: frame of 1514 bytes + 36 bytes of outer headers is over the underlay MTU 1500 (the overlay MTU must be at most "
                + "1464 bytes of frame, 1450 of IP)", TunnelDrop.tooBig(1514, h.overhead(), 1500));
    }

    static void fixIpChecksum(MemorySegment s, long o) {
        s.set(Be.SHORT, o + 24, (short) 0);
        s.set(Be.SHORT, o + 24, (short) ~Checksum.fold(Checksum.sum(s, o + 14, 20)));
    }
}
