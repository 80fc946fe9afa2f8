package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;

import java.lang.foreign.MemorySegment;

/**
 * The ICMP answer to an inner packet too big for the tunnel (what Linux's iptunnel_pmtud_build_icmp does for
 * bridged traffic): IPv4 with DF gets "destination unreachable, fragmentation needed" (RFC 1191), IPv6 "packet too
 * big" (RFC 8201), with the MTU the tunnel leaves for inner IP packets (underlay MTU minus the outer headers). The
 * answer pretends to come from the packet's destination (its MAC and IP), so the sender's stack takes it; it quotes
 * as much of the packet as fits 576 (IPv4) or 1280 (IPv6) bytes. Not answered: non-IP, IPv4 without DF, fragments
 * but the first, ICMP errors and multicast or broadcast senders. No allocation.
 */
public final class PathMtu {
    private PathMtu() {}

    /** The inner IP MTU a header leaves on an underlay of this MTU. */
    public static int innerMtu(TunnelHeader h, int underlayMtu) { return underlayMtu - h.length(); }

    /**
     * Writes the ICMP answer to the inner frame s[off, off+len) at out[outOff] (room for 14 + 1280 bytes); returns its
     * length, or 0 when no answer is due.
     */
    public static int answer(MemorySegment s, long off, int len, int mtu, MemorySegment out, long outOff) {
        if (len < 14 + 20) return 0;
        long srcMac = Be.mac(s, off + 6), dstMac = Be.mac(s, off);
        if ((srcMac >>> 40 & 1) != 0) return 0;
        int type = Be.u16(s, off + 12);
        long ip = off + 14;
        if (type == 0x0800) {
            int ihl = (Be.u8(s, ip) & 15) * 4, total = Be.u16(s, ip + 2), frag = Be.u16(s, ip + 6);
            if ((Be.u8(s, ip) >>> 4) != 4 || ihl < 20 || total < ihl || 14 + total > len) return 0;
            if ((frag & 0x4000) == 0 || (frag & 0x1fff) != 0) return 0;
            int proto = Be.u8(s, ip + 9);
            if (proto == 1 && total >= ihl + 1) {
                int t = Be.u8(s, ip + ihl);
                if (t != 0 && t != 8 && t != 13 && t != 14) return 0;   // never answer an ICMP error
            }
            long srcIp = Be.u32(s, ip + 12), dstIp = Be.u32(s, ip + 16);
            if ((srcIp >>> 28) >= 14 || srcIp == 0) return 0;
            int quote = Math.min(total, 576 - 20 - 8);
            long o = outOff;
            Be.putMac(out, o, srcMac);
            Be.putMac(out, o + 6, dstMac);
            Be.put16(out, o + 12, 0x0800);
            long oi = o + 14;
            int oTotal = 20 + 8 + quote;
            Be.put32(out, oi, 0x4500_0000L | oTotal);
            Be.put32(out, oi + 4, 0);
            Be.put32(out, oi + 8, 64L << 24 | 1L << 16);
            Be.put32(out, oi + 12, dstIp);
            Be.put32(out, oi + 16, srcIp);
            Be.put16(out, oi + 10, ~Checksum.fold(Checksum.sum(out, oi, 20)) & 0xffff);
            long ic = oi + 20;
            Be.put32(out, ic, 3L << 24 | 4L << 16);
            Be.put32(out, ic + 4, mtu & 0xffff);
            MemorySegment.copy(s, ip, out, ic + 8, quote);
            Be.put16(out, ic + 2, ~Checksum.fold(Checksum.sum(out, ic, 8 + quote)) & 0xffff);
            return 14 + oTotal;
        }
        if (type == 0x86dd) {
            if (len < 14 + 40 || (Be.u32(s, ip) >>> 28) != 6) return 0;
            int plen = Be.u16(s, ip + 4);
            if (14 + 40 + plen > len) return 0;
            if (Be.u8(s, ip + 6) == 58 && plen >= 1 && Be.u8(s, ip + 40) < 128) return 0;   // an ICMPv6 error
            long sHi = Be.u64(s, ip + 8), sLo = Be.u64(s, ip + 16), dHi = Be.u64(s, ip + 24), dLo = Be.u64(s, ip + 32);
            if ((sHi >>> 56) == 0xff || (sHi | sLo) == 0) return 0;
            int quote = Math.min(40 + plen, 1280 - 40 - 8);
            long o = outOff;
            Be.putMac(out, o, srcMac);
            Be.putMac(out, o + 6, dstMac);
            Be.put16(out, o + 12, 0x86dd);
            long oi = o + 14;
            Be.put32(out, oi, 0x6000_0000L);
            Be.put16(out, oi + 4, 8 + quote);
            Be.put8(out, oi + 6, 58);
            Be.put8(out, oi + 7, 64);
            Be.put64(out, oi + 8, dHi);
            Be.put64(out, oi + 16, dLo);
            Be.put64(out, oi + 24, sHi);
            Be.put64(out, oi + 32, sLo);
            long ic = oi + 40;
            Be.put32(out, ic, 2L << 24);
            Be.put32(out, ic + 4, Math.max(mtu, 1280));
            MemorySegment.copy(s, ip, out, ic + 8, quote);
            Be.put16(out, ic + 2, ~Checksum.fold(Checksum.sum(out, oi + 8, 32) + 8 + quote + 58 + Checksum.sum(out, ic, 8 + quote)) & 0xffff);
            return 14 + 40 + 8 + quote;
        }
        return 0;
    }
}
