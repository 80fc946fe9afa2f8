package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;

import java.lang.foreign.MemorySegment;

/**
 * IPv6 Neighbor Discovery (RFC 4861 §4.3-4.4): neighbour solicitations (to the target's solicited-node multicast
 * group) and advertisements, written with their ICMPv6 checksum, and a strict parser (hop limit 255, checksum, code
 * 0, well-formed options). No allocation.
 */
public final class Ndp {
    public static final int SOLICIT = 135, ADVERT = 136, FRAME = 14 + 40 + 24 + 8;
    private static final int ICMP6 = 58;
    /** Advertisement flags: Solicited and Override. */
    public static final int F_ROUTER = 0x8000_0000, F_SOLICITED = 0x4000_0000, F_OVERRIDE = 0x2000_0000;

    /** What {@link #parse} read: type, the IPv6 source, the target address and the link-layer address option (or -1). */
    public static final class Packet {
        public int type, flags;
        public long srcHi, srcLo, dstHi, dstLo, targetHi, targetLo;
        public long srcMac, lladdr;
    }

    private Ndp() {}

    /** Writes a solicitation for target from (srcMac, src) to target's solicited-node group; returns the frame length. */
    public static int solicit(MemorySegment s, long off, long srcMac, IpAddr src, IpAddr target) {
        long gLo = 0x0000_0001_ff00_0000L | (target.lo() & 0xff_ffff);
        long dstMac = 0x3333_ff00_0000L | (target.lo() & 0xff_ffff);
        return write(s, off, dstMac, srcMac, src.hi(), src.lo(), 0xff02_0000_0000_0000L, gLo, SOLICIT, 0, target.hi(), target.lo(), 1);
    }

    /** Writes a solicited advertisement "target is at mac" back to (toMac, to); returns the frame length. */
    public static int advertise(MemorySegment s, long off, long mac, IpAddr target, long toMac, IpAddr to) {
        return advertise(s, off, mac, target.hi(), target.lo(), toMac, to.hi(), to.lo());
    }

    /** {@link #advertise} without address objects (the PMD's path: no allocation). */
    public static int advertise(MemorySegment s, long off, long mac, long tHi, long tLo, long toMac, long toHi, long toLo) {
        return write(s, off, toMac, mac, tHi, tLo, toHi, toLo, ADVERT, F_SOLICITED | F_OVERRIDE, tHi, tLo, 2);
    }

    private static int write(MemorySegment s, long off, long dstMac, long srcMac, long sHi, long sLo, long dHi, long dLo,
                             int type, int flags, long tHi, long tLo, int optType) {
        for (int i = 0; i < FRAME; i++) s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off + i, (byte) 0);
        Be.putMac(s, off, dstMac);
        Be.putMac(s, off + 6, srcMac);
        Be.put16(s, off + 12, 0x86dd);
        long ip = off + 14;
        Be.put32(s, ip, 0x6000_0000L);
        Be.put16(s, ip + 4, 32);
        Be.put8(s, ip + 6, ICMP6);
        Be.put8(s, ip + 7, 255);
        Be.put64(s, ip + 8, sHi);
        Be.put64(s, ip + 16, sLo);
        Be.put64(s, ip + 24, dHi);
        Be.put64(s, ip + 32, dLo);
        long icmp = ip + 40;
        Be.put8(s, icmp, type);
        Be.put32(s, icmp + 4, flags);
        Be.put64(s, icmp + 8, tHi);
        Be.put64(s, icmp + 16, tLo);
        Be.put8(s, icmp + 24, optType);
        Be.put8(s, icmp + 25, 1);
        Be.putMac(s, icmp + 26, srcMac);
        Be.put16(s, icmp + 2, ~Checksum.fold(Checksum.sum(s, ip + 8, 32) + 32 + ICMP6 + Checksum.sum(s, icmp, 32)) & 0xffff);
        return FRAME;
    }

    /** Reads an untagged solicitation or advertisement into out; false for anything else or anything malformed. */
    public static boolean parse(MemorySegment s, long off, int len, Packet out) {
        if (len < 14 + 40 + 24 || Be.u16(s, off + 12) != 0x86dd) return false;
        long ip = off + 14;
        if ((Be.u32(s, ip) >>> 28) != 6 || Be.u8(s, ip + 6) != ICMP6 || Be.u8(s, ip + 7) != 255) return false;
        int plen = Be.u16(s, ip + 4);
        if (plen < 24 || 54 + plen > len) return false;
        long icmp = ip + 40;
        int type = Be.u8(s, icmp);
        if ((type != SOLICIT && type != ADVERT) || Be.u8(s, icmp + 1) != 0) return false;
        if (Checksum.fold(Checksum.sum(s, ip + 8, 32) + plen + ICMP6 + Checksum.sum(s, icmp, plen)) != 0xffff) return false;
        out.type = type;
        out.flags = (int) Be.u32(s, icmp + 4);
        out.srcMac = Be.mac(s, off + 6);
        out.srcHi = Be.u64(s, ip + 8);
        out.srcLo = Be.u64(s, ip + 16);
        out.dstHi = Be.u64(s, ip + 24);
        out.dstLo = Be.u64(s, ip + 32);
        out.targetHi = Be.u64(s, icmp + 8);
        out.targetLo = Be.u64(s, icmp + 16);
        if ((out.targetHi >>> 56) == 0xff) return false;      // a multicast target is invalid
        out.lladdr = -1;
        int want = type == SOLICIT ? 1 : 2;
        for (int at = 24; at < plen; ) {
            if (plen - at < 8) return false;
            int ot = Be.u8(s, icmp + at), ol = Be.u8(s, icmp + at + 1) * 8;
            if (ol == 0 || at + ol > plen) return false;
            if (ot == want && ol == 8) out.lladdr = Be.mac(s, icmp + at + 2);
            at += ol;
        }
        return true;
    }
}
