package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;

import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Decapsulation for one UDP tunnel endpoint (a type and destination port, the bridge's local addresses): what OVS's
 * {@code tnl_pop} does. {@link #pop} checks the outer headers of a received frame (Ethernet with at most one VLAN tag,
 * IPv4 or IPv6, UDP, VXLAN or Geneve) the way RFC 7348 and RFC 8926 ask, fills a {@link TunnelMetadata} and returns
 * where the inner frame starts; a frame that fails a check is a counted drop with a {@link TunnelDrop} reason. Any
 * bytes are safe to give it: it reads only inside [off, off+len) and never throws for what the frame holds.
 * Immutable: rebuilt when the local addresses or the option map change, shared by every PMD thread.
 */
public final class TunnelDecoder {
    /** Which Geneve options this switch knows (the TLV map): an unknown critical option drops the packet. */
    public interface KnownOptions {
        boolean known(int optClass, int type, int dataLen);
        KnownOptions NONE = (c, t, l) -> false;
    }

    private final TunnelType type;
    private final int port;
    private final int[] local4;
    private final long[] local6;
    private final KnownOptions known;
    private final TunnelDrops drops;

    /** locals: the endpoint addresses packets must be sent to (IPv4 and IPv6 mixed); none accepts any destination. */
    public TunnelDecoder(TunnelType type, int port, List<InetAddress> locals, KnownOptions known, TunnelDrops drops) {
        this.type = type;
        this.port = port;
        this.known = known;
        this.drops = drops;
        local4 = locals.stream().filter(a -> a instanceof Inet4Address).mapToInt(TunnelMetadata::v4).toArray();
        local6 = locals.stream().filter(a -> !(a instanceof Inet4Address))
                .flatMapToLong(a -> java.util.stream.LongStream.of(TunnelMetadata.v6(a, 0), TunnelMetadata.v6(a, 1))).toArray();
    }

    public TunnelType type() { return type; }
    public int port() { return port; }
    public TunnelDrops drops() { return drops; }

    /**
     * Checks the outer headers of s[off, off+len) and fills md. Returns the inner frame's offset from off (also
     * md.innerOffset, with md.innerLength: the inner frame ends where the UDP datagram does, before any Ethernet
     * padding), or -1 with md.drop set and counted in thread's row.
     */
    public int pop(MemorySegment s, long off, int len, TunnelMetadata md, int thread) {
        md.clear();
        TunnelDrop r = check(s, off, len, md);
        if (r == null) return md.innerOffset;
        md.drop = r;
        drops.add(thread, r, 1);
        return -1;
    }

    private TunnelDrop check(MemorySegment s, long off, int len, TunnelMetadata md) {
        if (len < 14) return TunnelDrop.TRUNCATED;
        int l3 = 14, ethType = Be.u16(s, off + 12);
        if (ethType == 0x8100) {
            if (len < 18) return TunnelDrop.TRUNCATED;
            ethType = Be.u16(s, off + 16);
            l3 = 18;
        }
        int l4, ipEnd;
        long sum;
        if (ethType == 0x0800) {
            if (len < l3 + 20) return TunnelDrop.TRUNCATED;
            long ip = off + l3;
            int vihl = Be.u8(s, ip), ihl = (vihl & 15) * 4;
            if ((vihl >>> 4) != 4 || ihl < 20) return TunnelDrop.BAD_IP_HEADER;
            if (len < l3 + ihl) return TunnelDrop.TRUNCATED;
            int total = Be.u16(s, ip + 2);
            if (total < ihl || l3 + total > len) return TunnelDrop.BAD_IP_LENGTH;
            int frag = Be.u16(s, ip + 6);
            if ((frag & 0x3fff) != 0) return TunnelDrop.IP_FRAGMENT;
            if (Checksum.fold(Checksum.sum(s, ip, ihl)) != 0xffff) return TunnelDrop.BAD_IP_CHECKSUM;
            if (Be.u8(s, ip + 9) != Checksum.PROTO_UDP) return TunnelDrop.NOT_UDP;
            int dst = (int) Be.u32(s, ip + 16);
            if (!local4(dst)) return TunnelDrop.WRONG_DESTINATION;
            md.src4 = (int) Be.u32(s, ip + 12);
            md.dst4 = dst;
            md.tos = Be.u8(s, ip + 1);
            md.ttl = Be.u8(s, ip + 8);
            if ((frag & 0x4000) != 0) md.flags |= TunnelMetadata.F_DONT_FRAGMENT;
            l4 = l3 + ihl;
            ipEnd = l3 + total;
            sum = Checksum.sum(s, ip + 12, 8) + Checksum.PROTO_UDP;
        } else if (ethType == 0x86dd) {
            if (len < l3 + 40) return TunnelDrop.TRUNCATED;
            long ip = off + l3;
            long w0 = Be.u32(s, ip);
            if ((w0 >>> 28) != 6) return TunnelDrop.BAD_IP_HEADER;
            int plen = Be.u16(s, ip + 4);
            if (l3 + 40 + plen > len) return TunnelDrop.BAD_IP_LENGTH;
            if (Be.u8(s, ip + 6) != Checksum.PROTO_UDP) return TunnelDrop.NOT_UDP;
            long dHi = Be.u64(s, ip + 24), dLo = Be.u64(s, ip + 32);
            if (!local6(dHi, dLo)) return TunnelDrop.WRONG_DESTINATION;
            md.ipv6 = true;
            md.src6Hi = Be.u64(s, ip + 8);
            md.src6Lo = Be.u64(s, ip + 16);
            md.dst6Hi = dHi;
            md.dst6Lo = dLo;
            md.tos = (int) (w0 >>> 20) & 0xff;
            md.ttl = Be.u8(s, ip + 7);
            l4 = l3 + 40;
            ipEnd = l4 + plen;
            sum = Checksum.sum(s, ip + 8, 32) + Checksum.PROTO_UDP;
        } else return TunnelDrop.NOT_IP;
        if (ipEnd - l4 < 8) return TunnelDrop.TRUNCATED;
        long u = off + l4;
        int udpLen = Be.u16(s, u + 4);
        if (udpLen < 8 || udpLen > ipEnd - l4) return TunnelDrop.BAD_UDP_LENGTH;
        if (Be.u16(s, u + 2) != port) return TunnelDrop.WRONG_PORT;
        if (Be.u16(s, u + 6) != 0) {
            if (Checksum.fold(sum + udpLen + Checksum.sum(s, u, udpLen)) != 0xffff) return TunnelDrop.BAD_UDP_CHECKSUM;
            md.flags |= TunnelMetadata.F_CSUM;
        }
        md.tpSrc = Be.u16(s, u);
        md.tpDst = port;
        int end = l4 + udpLen, th = l4 + 8;
        if (end - th < 8) return TunnelDrop.TRUNCATED;
        long t = off + th;
        int inner;
        if (type == TunnelType.VXLAN) {
            if ((Be.u8(s, t) & 0x08) == 0) return TunnelDrop.VXLAN_FLAGS;   // RFC 7348: I set; reserved bits ignored
            md.tunId = Be.u32(s, t + 4) >>> 8;
            inner = th + 8;
        } else {
            int b0 = Be.u8(s, t), b1 = Be.u8(s, t + 1);
            if ((b0 >>> 6) != 0) return TunnelDrop.GENEVE_VERSION;
            int optLen = (b0 & 0x3f) * 4;
            if (th + 8 + optLen > end) return TunnelDrop.OPTIONS_TOO_LONG;
            if (Be.u16(s, t + 2) != TunnelHeader.ETH_TEB) return TunnelDrop.GENEVE_PROTOCOL;
            if ((b1 & 0x80) != 0) md.flags |= TunnelMetadata.F_OAM;
            md.tunId = Be.u32(s, t + 4) >>> 8;
            long o = t + 8;
            for (int at = 0; at < optLen; ) {
                if (optLen - at < 4) return TunnelDrop.BAD_OPTION_LENGTH;
                int oc = Be.u16(s, o + at), ot = Be.u8(s, o + at + 2), dl = (Be.u8(s, o + at + 3) & 0x1f) * 4;
                if (at + 4 + dl > optLen) return TunnelDrop.BAD_OPTION_LENGTH;
                // RFC 8926 §3.5: an unknown option with the critical bit set drops the packet (whatever the C bit says)
                if ((ot & GeneveOptions.CRITICAL) != 0 && !known.known(oc, ot, dl)) return TunnelDrop.UNKNOWN_CRITICAL_OPTION;
                at += 4 + dl;
            }
            MemorySegment.copy(s, java.lang.foreign.ValueLayout.JAVA_BYTE, o, md.options, 0, optLen);
            md.optLen = optLen;
            inner = th + 8 + optLen;
        }
        if (end - inner < 14) return TunnelDrop.INNER_TOO_SHORT;
        md.flags |= TunnelMetadata.F_KEY;
        md.innerOffset = inner;
        md.innerLength = end - inner;
        return null;
    }

    /**
     * Whether the untagged IPv4 or IPv6 frame at s[o, o+len) is addressed to one of the endpoint's addresses (a frame
     * to another host's tunnel endpoint crossing the underlay bridge is that bridge's to switch, as with OVS). Reads
     * only within len; no allocation.
     */
    public boolean addressedHere(MemorySegment s, long o, int len) {
        int type = Be.u16(s, o + 12);
        if (type == 0x0800) return len >= 34 && local4((int) Be.u32(s, o + 30));
        if (type == 0x86dd) return len >= 54 && local6(Be.u64(s, o + 38), Be.u64(s, o + 46));
        return false;
    }

    private boolean local4(int a) {
        if (local4.length == 0 && local6.length == 0) return true;
        for (int x : local4) if (x == a) return true;
        return false;
    }

    private boolean local6(long hi, long lo) {
        if (local4.length == 0 && local6.length == 0) return true;
        for (int i = 0; i < local6.length; i += 2) if (local6[i] == hi && local6[i + 1] == lo) return true;
        return false;
    }
}
