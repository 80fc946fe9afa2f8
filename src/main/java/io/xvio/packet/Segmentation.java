package io.xvio.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * Software segmentation of one GSO frame (what a NIC does for TSO and USO): a TCP frame of up to 64 KB that a
 * Linux sender left to "hardware" to cut becomes MTU-sized frames, each the frame's headers (Ethernet, VLAN tags,
 * IPv4 or IPv6, TCP or UDP) plus up to gso_size bytes of its payload, with lengths, IPv4 ids, TCP sequence
 * numbers, flags and every checksum made right. The GSO metadata is that of a {@code struct virtio_net_hdr}
 * (linux/virtio_net.h), as an AF_PACKET socket with PACKET_VNET_HDR reports it.
 *
 * <p>One instance per receive queue holds the frame being cut: {@link #start} checks the headers once,
 * {@link #emit} writes as many segments as the caller has slots for and can be called again (with fresh slots)
 * until {@link #active()} is false. The source frame must stay where it is until then. The output does not depend
 * on how the segments were split across calls. No allocation, no exception for any input: a frame it cannot cut
 * gets a drop reason from {@link #start}.
 *
 * <p>Per segment (as Linux's own GSO does it): IPv4 total length, id (the frame's id + the segment's index) and
 * header checksum; IPv6 payload length (no extension headers); TCP sequence number advanced by the payload
 * before the segment, FIN and PSH only on the last segment, CWR only on the first; UDP length (each USO segment
 * is a datagram of its own); the full TCP/UDP checksum over pseudo-header, header and payload. A UDP tunnel GSO
 * frame (VXLAN or Geneve around TCP, which a Linux VXLAN device hands a veth whole) is cut at its inner TCP; each
 * segment also gets its outer IPv4 total length, id and header checksum (or IPv6 payload length), UDP length and,
 * if the frame had one, UDP checksum.
 */
public final class Segmentation {
    // struct virtio_net_hdr gso_type and flags (linux/virtio_net.h)
    public static final int GSO_NONE = 0, GSO_TCPV4 = 1, GSO_UDP = 3, GSO_TCPV6 = 4, GSO_UDP_L4 = 5, GSO_ECN = 0x80;
    public static final int F_NEEDS_CSUM = 1;

    /** {@link #start} result: the frame is being cut. */
    public static final int OK = -1;
    /** Drop reasons from {@link #start}: 0 .. {@link #REASONS}-1, labelled by {@link #reasonLabel}. */
    public static final int DROP_TYPE = 0, DROP_SIZE = 1, DROP_HEADERS = 2, REASONS = 3;

    private static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_CWR = 0x80;

    // the frame being cut: src[frame, frame + end) holds headers [0, hdr) and payload [hdr, end)
    private MemorySegment src;
    private long frame;
    private int tag, shift;         // VLAN tag inserted after the MAC addresses (tpid << 16 | tci), shift = 4; or 0, 0
    private int l3, l4, hdr, ihl, mss, payload;
    private boolean v4, tcp;
    private long pseudo;            // pseudo-header sum without the L4 length
    private long seq0;
    private int id0;
    // a UDP tunnel frame's outer headers (tunnel): IP at ol3 (header oihl bytes, IPv4 if ov4), UDP at oudp with a
    // checksum to fill if ocsum (opseudo: its pseudo-header sum without the length), IPv4 id oid0
    private boolean tunnel, ov4, ocsum;
    private int ol3, oihl, oudp, oid0;
    private long opseudo;
    // what ip() found: header length, protocol, end of the IP packet (from the frame start), IPv4 or not
    private int pIhl, pProto, pEnd;
    private boolean pV4;
    // progress
    private int next, segment;
    private boolean active;

    /**
     * The length of the longest segment a GSO frame (at frame, len bytes, its checksummed part starting at the
     * absolute offset csumAt: the TCP or UDP header, an inner one for a tunnel's) will be cut into: the headers up to
     * its payload plus gsoSize, at most len (OVS's check_pkt_len on a TSO packet); len when the headers make no sense.
     */
    public static int segmentLength(MemorySegment d, long frame, int len, int gsoType, int gsoSize, long csumAt) {
        long l4 = csumAt - frame;
        if (gsoSize <= 0 || l4 < Ethernet.HEADER || l4 + 20 > len) return len;
        int hl = (gsoType & ~GSO_ECN) == GSO_UDP_L4 ? 8 : ((d.get(JAVA_BYTE, csumAt + 12) & 0xf0) >>> 2);
        long seg = l4 + hl + gsoSize;
        return seg < len ? (int) seg : len;
    }

    /**
     * The longest frame slot i of b puts on the wire: its length, or a GSO frame's longest segment
     * ({@link #segmentLength}). A port checks this against its MTU: a GSO frame whose segments would be too big for
     * it is dropped as too big (OVS-DPDK's oversized TSO check), not handed whole to a receiver that would cut it
     * into frames over the MTU.
     */
    public static int wireLength(PacketBatch b, int i) {
        if (!b.offloads || b.gsoType[i] == GSO_NONE) return b.len[i];
        return segmentLength(b.data, b.off[i], b.len[i], b.gsoType[i], b.gsoSize[i], b.csumAt[i]);
    }

    /** Counter label of a drop reason. */
    public static String reasonLabel(int reason) {
        return switch (reason) {
            case DROP_TYPE -> "rx_dropped(gso: type not supported)";
            case DROP_SIZE -> "rx_dropped(gso: bad gso_size)";
            case DROP_HEADERS -> "rx_dropped(gso: headers not segmentable)";
            default -> "rx_dropped(gso: reason " + reason + ")";
        };
    }

    /** Whether a frame is started and not all of its segments are written yet. */
    public boolean active() { return active; }

    /** Forgets the frame being cut (its source is going away). */
    public void abandon() {
        active = false;
        src = null;
    }

    /**
     * Checks the GSO frame src[frame, frame + len) against its virtio-net header fields and gets ready to cut it
     * into segments of at most capacity bytes. tag, if not 0, is a VLAN tag (tpid << 16 | tci) that the kernel
     * took out of the frame and that each segment gets back after the MAC addresses; csumStart is relative to the
     * frame as given (without that tag). hdrLen is only a hint (Linux reports the length of its linear part): it
     * must not reach beyond the frame but the headers are parsed, not trusted. Returns {@link #OK} or a drop reason.
     */
    public int start(MemorySegment src, long frame, int len, int tag, int flags, int gsoType, int gsoSize, int hdrLen,
                     int csumStart, int csumOffset, int capacity) {
        abandon();
        int type = gsoType & ~GSO_ECN;
        if (type != GSO_TCPV4 && type != GSO_TCPV6 && type != GSO_UDP_L4) return DROP_TYPE;   // UFO (IP fragments) too
        if (gsoSize <= 0) return DROP_SIZE;
        if (len < Ethernet.HEADER || hdrLen > len || frame < 0 || frame + len > src.byteSize()) return DROP_HEADERS;
        int l2 = Ethernet.HEADER;
        int et = be16(src, frame + 12);
        for (int tags = 0; tags < 2 && (et == Ethernet.TYPE_VLAN || et == Ethernet.TYPE_QINQ); tags++) {
            if (l2 + 4 > len) return DROP_HEADERS;
            et = be16(src, frame + l2 + 2);
            l2 += 4;
        }
        int r = ip(src, frame, l2, len, et, GSO_NONE);       // any outer family: a tunnel's may differ from the inner's
        if (r != OK) return r;
        tunnel = false;
        if (type != GSO_UDP_L4 && pProto == Checksum.PROTO_UDP && (flags & F_NEEDS_CSUM) != 0 && csumStart > l2 + pIhl + 8) {
            // UDP tunnel GSO (Linux's SKB_GSO_UDP_TUNNEL: VXLAN or Geneve around TCP, csum_start at the inner TCP
            // header): cut the inner TCP and give each segment's outer IP and UDP headers their lengths too
            int udp = l2 + pIhl, oEnd = pEnd;
            if (oEnd > len || udp + 16 > oEnd) return DROP_HEADERS;
            int inner = udp + 16 + (be16(src, frame + udp + 2) == 6081 ? (src.get(JAVA_BYTE, frame + udp + 8) & 0x3f) * 4 : 0);
            if (inner + Ethernet.HEADER > oEnd) return DROP_HEADERS;
            tunnel = true;
            ol3 = l2;
            oihl = pIhl;
            ov4 = pV4;
            oudp = udp;
            oid0 = ov4 ? be16(src, frame + l2 + 4) : 0;
            ocsum = be16(src, frame + udp + 6) != 0;
            opseudo = (ov4 ? Checksum.sum(src, frame + l2 + 12, 8) : Checksum.sum(src, frame + l2 + 8, 32)) + Checksum.PROTO_UDP;
            l2 = inner + Ethernet.HEADER;
            r = ip(src, frame, l2, oEnd, be16(src, frame + inner + 12), type);
            if (r != OK) return r;
            if (pEnd != oEnd) return DROP_HEADERS;           // the inner packet must end where the datagram does
        }
        if ((pV4 && type == GSO_TCPV6) || (!pV4 && type == GSO_TCPV4)) return DROP_HEADERS;   // the GSO type's family
        int proto = pProto, end = pEnd, ipHeader = pIhl;
        boolean ipv4 = pV4;
        int at4 = l2 + ipHeader;
        if (end > len) return DROP_HEADERS;
        boolean isTcp = type != GSO_UDP_L4;
        int l4Header;
        if (isTcp) {
            if (proto != Checksum.PROTO_TCP || at4 + 20 > end) return DROP_HEADERS;
            l4Header = ((src.get(JAVA_BYTE, frame + at4 + 12) & 0xff) >> 4) * 4;
            if (l4Header < 20) return DROP_HEADERS;
        } else {
            if (proto != Checksum.PROTO_UDP) return DROP_HEADERS;
            l4Header = 8;
        }
        int headers = at4 + l4Header;
        if (headers >= end) return DROP_HEADERS;                                        // no payload to cut
        if ((flags & F_NEEDS_CSUM) != 0 && (csumStart != at4 || csumOffset != (isTcp ? 16 : 6))) return DROP_HEADERS;
        int sh = tag != 0 ? 4 : 0;
        if ((long) headers + sh + Math.min(gsoSize, end - headers) > capacity) return DROP_SIZE;

        this.src = src;
        this.frame = frame;
        this.tag = tag;
        this.shift = sh;
        this.l3 = l2;
        this.l4 = at4;
        this.hdr = headers;
        this.ihl = ipHeader;
        this.mss = gsoSize;
        this.payload = end - headers;
        this.v4 = ipv4;
        this.tcp = isTcp;
        this.pseudo = (ipv4 ? Checksum.sum(src, frame + l2 + 12, 8) : Checksum.sum(src, frame + l2 + 8, 32)) + proto;
        this.seq0 = isTcp ? src.get(BE_INT, frame + at4 + 4) & 0xffffffffL : 0;
        this.id0 = ipv4 ? be16(src, frame + l2 + 4) : 0;
        this.next = 0;
        this.segment = 0;
        this.active = true;
        return OK;
    }

    /**
     * Writes the next segments into dst: segment k at off[first + k] (slots the caller owns, each at least the
     * capacity given to {@link #start}), its length in len[first + k], for k below max and until the frame is
     * done. Returns the number written (0 if no frame is active).
     */
    public int emit(MemorySegment dst, int[] off, int[] len, int first, int max) {
        int n = 0;
        while (active && n < max) {
            int i = first + n;
            long o = off[i];
            int c = Math.min(mss, payload - next);
            boolean last = next + c == payload;
            if (shift == 0) {
                MemorySegment.copy(src, frame, dst, o, hdr);
            } else {
                MemorySegment.copy(src, frame, dst, o, 12);
                dst.set(BE_INT, o + 12, tag);
                MemorySegment.copy(src, frame + 12, dst, o + 16, hdr - 12);
            }
            MemorySegment.copy(src, frame + hdr + next, dst, o + shift + hdr, c);
            long at3 = o + shift + l3, at4 = o + shift + l4;
            int l4Bytes = hdr - l4 + c;
            if (v4) {
                dst.set(BE_SHORT, at3 + 2, (short) (hdr - l3 + c));
                dst.set(BE_SHORT, at3 + 4, (short) (id0 + segment));
                dst.set(BE_SHORT, at3 + 10, (short) 0);
                dst.set(BE_SHORT, at3 + 10, (short) ~Checksum.fold(Checksum.sum(dst, at3, ihl)));
            } else {
                dst.set(BE_SHORT, at3 + 4, (short) l4Bytes);
            }
            long field;
            if (tcp) {
                dst.set(BE_INT, at4 + 4, (int) (seq0 + next));
                int f = dst.get(JAVA_BYTE, at4 + 13) & 0xff;
                if (!last) f &= ~(TCP_FIN | TCP_PSH);
                if (segment > 0) f &= ~TCP_CWR;
                dst.set(JAVA_BYTE, at4 + 13, (byte) f);
                field = at4 + 16;
            } else {
                dst.set(BE_SHORT, at4 + 4, (short) l4Bytes);
                field = at4 + 6;
            }
            dst.set(BE_SHORT, field, (short) 0);
            int sum = ~Checksum.fold(pseudo + l4Bytes + Checksum.sum(dst, at4, l4Bytes)) & 0xffff;
            dst.set(BE_SHORT, field, (short) (sum == 0 && !tcp ? 0xffff : sum));     // UDP: 0 means "no checksum"
            if (tunnel) {                                    // the outer headers, around the finished inner packet
                long o3 = o + shift + ol3, ou = o + shift + oudp;
                int outer = hdr - ol3 + c, udpLen = hdr - oudp + c;
                if (ov4) {
                    dst.set(BE_SHORT, o3 + 2, (short) outer);
                    dst.set(BE_SHORT, o3 + 4, (short) (oid0 + segment));
                    dst.set(BE_SHORT, o3 + 10, (short) 0);
                    dst.set(BE_SHORT, o3 + 10, (short) ~Checksum.fold(Checksum.sum(dst, o3, oihl)));
                } else {
                    dst.set(BE_SHORT, o3 + 4, (short) (outer - 40));
                }
                dst.set(BE_SHORT, ou + 4, (short) udpLen);
                if (ocsum) {
                    dst.set(BE_SHORT, ou + 6, (short) 0);
                    int us = ~Checksum.fold(opseudo + udpLen + Checksum.sum(dst, ou, udpLen)) & 0xffff;
                    dst.set(BE_SHORT, ou + 6, (short) (us == 0 ? 0xffff : us));
                }
            }
            len[i] = shift + hdr + c;
            next += c;
            segment++;
            n++;
            if (last) abandon();
        }
        return n;
    }

    /** Parses the IP header at frame + l3 (Ethernet type et) within limit; sets pIhl, pProto, pEnd, pV4. */
    private int ip(MemorySegment src, long frame, int l3, int limit, int et, int type) {
        if (et == Ethernet.TYPE_IPV4 && type != GSO_TCPV6) {
            if (l3 + 20 > limit) return DROP_HEADERS;
            int vihl = src.get(JAVA_BYTE, frame + l3) & 0xff;
            pIhl = (vihl & 0xf) * 4;
            if (vihl >> 4 != 4 || pIhl < 20 || l3 + pIhl > limit) return DROP_HEADERS;
            if ((be16(src, frame + l3 + 6) & 0x3fff) != 0) return DROP_HEADERS;       // a fragment
            pProto = src.get(JAVA_BYTE, frame + l3 + 9) & 0xff;
            pEnd = l3 + be16(src, frame + l3 + 2);
            pV4 = true;
            return OK;
        }
        if (et == Ethernet.TYPE_IPV6 && type != GSO_TCPV4) {
            if (l3 + 40 > limit || (src.get(JAVA_BYTE, frame + l3) & 0xf0) != 0x60) return DROP_HEADERS;
            pProto = src.get(JAVA_BYTE, frame + l3 + 6) & 0xff;                     // extension headers: not here
            pIhl = 40;
            pEnd = l3 + 40 + be16(src, frame + l3 + 4);                                // 0 (a jumbogram): no payload
            pV4 = false;
            return OK;
        }
        return DROP_HEADERS;
    }

    private static int be16(MemorySegment s, long off) {
        return s.get(BE_SHORT, off) & 0xffff;
    }
}
