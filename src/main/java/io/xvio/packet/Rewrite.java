package io.xvio.packet;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * In-place header rewrites for the datapath's set-field actions, keeping IPv4 header and TCP/UDP checksums
 * correct by incremental update (RFC 1624). Offsets: frame = start of the Ethernet header; l3/l4 are relative
 * to it, as in {@link FlowKey}.
 */
public final class Rewrite {
    private static final OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfLong BE64 = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Rewrite() {}

    /** Checksum after one 16-bit word of the covered data changed from old to now. */
    public static int csumUpdate16(int sum, int old, int now) {
        int s = (~sum & 0xffff) + (~old & 0xffff) + (now & 0xffff);
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return ~s & 0xffff;
    }

    public static int csumUpdate32(int sum, long old, long now) {
        sum = csumUpdate16(sum, (int) (old >>> 16) & 0xffff, (int) (now >>> 16) & 0xffff);
        return csumUpdate16(sum, (int) old & 0xffff, (int) now & 0xffff);
    }

    public static void setMac(MemorySegment s, long at, long mac) {
        s.set(BE16, at, (short) (mac >>> 32));
        s.set(BE32, at + 2, (int) mac);
    }

    /** The L4 checksum field's offset for TCP (16) or UDP (6), or -1 when the protocol has none we update. */
    private static int l4CsumOffset(int proto) {
        return proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : -1;
    }

    /** Rewrites the IPv4 source (src=true) or destination address, fixing IP and TCP/UDP checksums. */
    public static void setIpv4Addr(MemorySegment s, long frame, int l3, int l4, int proto, boolean src, long addr) {
        long at = frame + l3 + (src ? 12 : 16);
        long old = s.get(BE32, at) & 0xffffffffL;
        if (old == addr) return;
        s.set(BE32, at, (int) addr);
        long ipc = frame + l3 + 10;
        s.set(BE16, ipc, (short) csumUpdate32(s.get(BE16, ipc) & 0xffff, old, addr));
        fixL4(s, frame, l4, proto, old, addr, true);
    }

    private static void fixL4(MemorySegment s, long frame, int l4, int proto, long old, long now, boolean is32) {
        int co = l4CsumOffset(proto);
        if (l4 < 0 || co < 0 || proto == 58) return;
        long at = frame + l4 + co;
        int sum = s.get(BE16, at) & 0xffff;
        if (proto == 17 && sum == 0) return;   // UDP without checksum stays without
        sum = is32 ? csumUpdate32(sum, old, now) : csumUpdate16(sum, (int) old, (int) now);
        if (proto == 17 && sum == 0) sum = 0xffff;
        s.set(BE16, at, (short) sum);
    }

    /** Rewrites the TCP/UDP source or destination port, fixing the L4 checksum. */
    public static void setPort(MemorySegment s, long frame, int l4, int proto, boolean src, int port) {
        if (l4 < 0) return;
        long at = frame + l4 + (src ? 0 : 2);
        int old = s.get(BE16, at) & 0xffff;
        if (old == port) return;
        s.set(BE16, at, (short) port);
        if (proto == 6 || proto == 17) fixL4(s, frame, l4, proto, old, port, false);
    }

    /** Sets the DSCP bits (tos & 0xfc) of IPv4 or IPv6, keeping ECN. */
    public static void setDscp(MemorySegment s, long frame, int l3, boolean v6, int tos) {
        if (!v6) {
            long at = frame + l3 + 1;
            int old = s.get(JAVA_BYTE, at) & 0xff, now = (old & 3) | (tos & 0xfc);
            if (old == now) return;
            s.set(JAVA_BYTE, at, (byte) now);
            long ipc = frame + l3 + 10;
            int oldWord = ((s.get(JAVA_BYTE, frame + l3) & 0xff) << 8) | old, newWord = (oldWord & 0xff00) | now;
            s.set(BE16, ipc, (short) csumUpdate16(s.get(BE16, ipc) & 0xffff, oldWord, newWord));
        } else {
            long at = frame + l3;
            int w = s.get(BE32, at);
            int tc = (w >>> 20) & 0xff;
            tc = (tc & 3) | (tos & 0xfc);
            s.set(BE32, at, (w & 0xf00fffff) | (tc << 20));
        }
    }

    /** Sets the IPv4 TTL or IPv6 hop limit. */
    public static void setTtl(MemorySegment s, long frame, int l3, boolean v6, int ttl) {
        if (v6) {
            s.set(JAVA_BYTE, frame + l3 + 7, (byte) ttl);
            return;
        }
        long at = frame + l3 + 8;
        int oldWord = s.get(BE16, at) & 0xffff;            // ttl << 8 | protocol
        int newWord = (ttl << 8) | (oldWord & 0xff);
        s.set(BE16, at, (short) newWord);
        long ipc = frame + l3 + 10;
        s.set(BE16, ipc, (short) csumUpdate16(s.get(BE16, ipc) & 0xffff, oldWord, newWord));
    }

    /** Rewrites an IPv6 address (16 bytes at l3+8 or l3+24), fixing the TCP/UDP checksum. */
    public static void setIpv6Addr(MemorySegment s, long frame, int l3, int l4, int proto, boolean src, long hi, long lo) {
        long at = frame + l3 + (src ? 8 : 24);
        long oh = s.get(BE64, at), ol = s.get(BE64, at + 8);
        s.set(BE64, at, hi);
        s.set(BE64, at + 8, lo);
        int co = l4CsumOffset(proto);
        if (l4 < 0 || co < 0) return;
        long cat = frame + l4 + co;
        int sum = s.get(BE16, cat) & 0xffff;
        sum = csumUpdate32(sum, oh >>> 32, hi >>> 32);
        sum = csumUpdate32(sum, oh & 0xffffffffL, hi & 0xffffffffL);
        sum = csumUpdate32(sum, ol >>> 32, lo >>> 32);
        sum = csumUpdate32(sum, ol & 0xffffffffL, lo & 0xffffffffL);
        if (proto == 17 && sum == 0) sum = 0xffff;
        s.set(BE16, cat, (short) sum);
    }

    public static void setArpAddr(MemorySegment s, long frame, int l3, boolean src, long addr) {
        s.set(BE32, frame + l3 + (src ? 14 : 24), (int) addr);
    }

    /**
     * Sets the ICMP (v4 or v6) type (type true) or code byte, updating the ICMP checksum incrementally (the type and
     * code are one 16-bit word of it; ICMPv6's pseudo-header does not change). OVN turns an echo request into a reply.
     */
    public static void setIcmp(MemorySegment s, long frame, int l4, boolean type, int value) {
        if (l4 < 0) return;
        long at = frame + l4;
        int old = s.get(BE16, at) & 0xffff, now = type ? (value & 0xff) << 8 | (old & 0xff) : (old & 0xff00) | (value & 0xff);
        if (old == now) return;
        s.set(BE16, at, (short) now);
        s.set(BE16, at + 2, (short) csumUpdate16(s.get(BE16, at + 2) & 0xffff, old, now));
    }

    /** The end (offset from the frame) of the IPv6 payload whose header is at l3, by its payload length, within len. */
    public static int ipv6End(MemorySegment s, long frame, int l3, int len) {
        return Math.min(len, l3 + 40 + (s.get(BE16, frame + l3 + 4) & 0xffff));
    }

    /** ICMPv6 neighbour solicitation/advertisement: type, code, checksum, flags/reserved, then the target (OVS's ND_MSG_LEN). */
    private static final int ND_MSG_LEN = 24;

    /**
     * Rewrites the target address of a neighbour solicitation or advertisement whose ICMPv6 header is at l4 (end: the
     * end of the IPv6 payload), updating the ICMPv6 checksum incrementally; a message too short to hold one is left
     * alone, as OVS's packet_set_nd leaves it.
     */
    public static void setNdTarget(MemorySegment s, long frame, int l4, int end, long hi, long lo) {
        if (l4 < 0 || end - l4 < ND_MSG_LEN) return;
        long at = frame + l4 + 8;
        long oh = s.get(BE64, at), ol = s.get(BE64, at + 8);
        if (oh == hi && ol == lo) return;
        s.set(BE64, at, hi);
        s.set(BE64, at + 8, lo);
        long cat = frame + l4 + 2;
        int sum = s.get(BE16, cat) & 0xffff;
        sum = csumUpdate32(sum, oh >>> 32, hi >>> 32);
        sum = csumUpdate32(sum, oh & 0xffffffffL, hi & 0xffffffffL);
        sum = csumUpdate32(sum, ol >>> 32, lo >>> 32);
        sum = csumUpdate32(sum, ol & 0xffffffffL, lo & 0xffffffffL);
        s.set(BE16, cat, (short) sum);
    }

    /**
     * Sets the bits under mask of the link-layer address option of kind type (1: source, 2: target) of a neighbour
     * solicitation/advertisement, updating the ICMPv6 checksum. As OVS's packet_set_nd, only the message's first
     * link-layer address option (of either kind, 8 bytes long) is considered: if it is of the other kind, or there
     * is none, nothing changes (an absent option is not added). The walk stops at an option of length 0 or one that
     * runs past end.
     */
    public static void setNdLla(MemorySegment s, long frame, int l4, int end, int type, long mac, long mask) {
        if (l4 < 0 || end - l4 < ND_MSG_LEN) return;
        for (int o = l4 + ND_MSG_LEN; end - o >= 8; ) {
            int t = s.get(JAVA_BYTE, frame + o) & 0xff, len = (s.get(JAVA_BYTE, frame + o + 1) & 0xff) * 8;
            if (len == 0 || len > end - o) return;
            if ((t == 1 || t == 2) && len == 8) {
                if (t != type) return;
                long at = frame + o + 2;
                long old = s.get(BE64, frame + o) & 0xffffffffffffL, now = (old & ~mask) | (mac & mask & 0xffffffffffffL);
                if (old == now) return;
                setMac(s, at, now);
                long cat = frame + l4 + 2;
                int sum = s.get(BE16, cat) & 0xffff;
                for (int sh = 32; sh >= 0; sh -= 16) sum = csumUpdate16(sum, (int) (old >>> sh) & 0xffff, (int) (now >>> sh) & 0xffff);
                s.set(BE16, cat, (short) sum);
                return;
            }
            o += len;
        }
    }

    /** Writes ARP's opcode (OVN's ARP responder turns a request into a reply). */
    public static void setArpOp(MemorySegment s, long frame, int l3, int op) {
        s.set(BE16, frame + l3 + 6, (short) op);
    }

    /** Writes ARP's sender (src) or target hardware address. */
    public static void setArpMac(MemorySegment s, long frame, int l3, boolean src, long mac) {
        setMac(s, frame + l3 + (src ? 8 : 18), mac);
    }

    /** Inserts a VLAN tag after the MACs, moving the MACs 4 bytes into the headroom. Returns the new frame start. */
    public static long pushVlan(MemorySegment s, long frame, int ethertype, int tci) {
        long nf = frame - 4;
        MemorySegment.copy(s, frame, s, nf, 12);
        s.set(BE16, nf + 12, (short) ethertype);
        s.set(BE16, nf + 14, (short) tci);
        return nf;
    }

    /** Removes the outer VLAN tag, moving the MACs 4 bytes forward. Returns the new frame start. */
    public static long popVlan(MemorySegment s, long frame) {
        long nf = frame + 4;
        MemorySegment.copy(s, frame, s, nf, 12);
        return nf;
    }

    public static void setTci(MemorySegment s, long frame, int tci) {
        s.set(BE16, frame + 14, (short) tci);
    }
}
