package io.xvio.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The offload fields of a {@code struct virtio_net_hdr} (virtio 1.1 §5.1.6; linux/virtio_net.h): flags
 * (NEEDS_CSUM), gso_type (with the ECN bit), hdr_len, gso_size, csum_start, csum_offset, little-endian, in the
 * ten bytes before num_buffers. {@link #read} checks a sender's header and stores it in a {@link PacketBatch}
 * slot; {@link #write} gives a receiver the header of a slot. No allocation, no exception for any input.
 *
 * <p>Partial checksums and rewrites: a frame with NEEDS_CSUM carries, in its TCP/UDP checksum field, the folded
 * pseudo-header sum (not a checksum). The datapath's set-field actions update checksum fields incrementally as if
 * they held full checksums, which is wrong for a partial one (an address change moves the pseudo-header sum the
 * other way; a port change must not move it at all). So nothing trusts that field after the datapath: before a
 * frame with NEEDS_CSUM leaves, {@link #fixPseudo} writes the pseudo-header sum again from the headers as they
 * are now (a few loads), and {@link #complete} computes the full checksum from those headers.
 */
public final class VnetHeader {
    public static final int F_NEEDS_CSUM = 1, F_DATA_VALID = 2;
    /** {@link #read} results: OK, or why the frame is dropped. */
    public static final int OK = 0, BAD_CSUM = 1, BAD_GSO = 2;

    private static final ValueLayout.OfShort LE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static final long SUM_BITS = (1L << 40) - 1;

    private VnetHeader() {}

    /** Counter label of a {@link #read} result. */
    public static String reasonLabel(int reason) {
        return reason == BAD_CSUM ? "rx_dropped(virtio-net header: csum_start/offset outside the frame)"
                : "rx_dropped(virtio-net header: gso_type/gso_size not negotiated or invalid)";
    }

    /**
     * Reads the header at b.data[hdr, hdr + 10) of packet i (frame at b.off[i], b.len[i] bytes) into the slot's
     * offload arrays. tso4/tso6/ecn: what the sender negotiated (HOST_TSO4/6, HOST_ECN); a GSO type it did not
     * negotiate, a GSO frame without NEEDS_CSUM or gso_size 0, or a checksum field outside the frame is refused.
     * DATA_VALID means nothing on this direction and is ignored. Returns {@link #OK} or a drop reason.
     */
    public static int read(PacketBatch b, int i, long hdr, boolean tso4, boolean tso6, boolean ecn) {
        MemorySegment d = b.data;
        int flags = d.get(JAVA_BYTE, hdr) & F_NEEDS_CSUM;
        int gso = d.get(JAVA_BYTE, hdr + 1) & 0xff;
        int gsoSize = d.get(LE_SHORT, hdr + 4) & 0xffff;
        int start = d.get(LE_SHORT, hdr + 6) & 0xffff, offset = d.get(LE_SHORT, hdr + 8) & 0xffff;
        if (flags != 0 && start + offset + 2 > b.len[i]) return BAD_CSUM;
        if (gso != Segmentation.GSO_NONE) {
            int type = gso & ~Segmentation.GSO_ECN;
            boolean ok = type == Segmentation.GSO_TCPV4 ? tso4 : type == Segmentation.GSO_TCPV6 && tso6;
            if (!ok || (gso & Segmentation.GSO_ECN) != 0 && !ecn || gsoSize == 0 || flags == 0) return BAD_GSO;
        }
        b.vflags[i] = flags;
        b.gsoType[i] = gso;
        b.gsoSize[i] = gsoSize;
        b.csumAt[i] = b.off[i] + start;
        b.csumOffset[i] = offset;
        return OK;
    }

    /**
     * Whether packet i's offload state (after {@link #read}) describes plain TCP segmentation: csum_start right
     * after an IPv4 header (protocol TCP, GSO type TCPV4) or a fixed IPv6 header (next header TCP, TCPV6), behind
     * at most two VLAN tags, csum_offset 16. False for a tunnel's inner TCP (Linux reports VXLAN/Geneve-wrapped TCP
     * as TCPV4/6 with csum_start at the inner header), which only a segmenter that knows tunnels may take.
     */
    public static boolean plainTcp(PacketBatch b, int i) {
        MemorySegment d = b.data;
        int frame = b.off[i], end = frame + b.len[i];
        int l3 = frame + Ethernet.HEADER;
        if (l3 > end || b.csumOffset[i] != 16) return false;
        int et = be16(d, l3 - 2);
        for (int tags = 0; tags < 2 && (et == Ethernet.TYPE_VLAN || et == Ethernet.TYPE_QINQ); tags++) {
            if (l3 + 4 > end) return false;
            et = be16(d, l3 + 2);
            l3 += 4;
        }
        int type = b.gsoType[i] & ~Segmentation.GSO_ECN;
        if (et == Ethernet.TYPE_IPV4) {
            if (l3 + 20 > end) return false;
            int ihl = (d.get(JAVA_BYTE, l3) & 0xf) * 4;
            return type == Segmentation.GSO_TCPV4 && ihl >= 20 && d.get(JAVA_BYTE, l3 + 9) == Checksum.PROTO_TCP && b.csumAt[i] == l3 + ihl;
        }
        if (et == Ethernet.TYPE_IPV6) {
            return type == Segmentation.GSO_TCPV6 && l3 + 40 <= end && d.get(JAVA_BYTE, l3 + 6) == Checksum.PROTO_TCP && b.csumAt[i] == l3 + 40;
        }
        return false;
    }

    /**
     * Writes the ten offload bytes of packet i's header at b.data[hdr, hdr + 10): NEEDS_CSUM with csum_start and
     * csum_offset if the slot has a partial checksum, the GSO fields if it is a GSO frame with more payload than
     * one segment (a "GSO" frame of one segment is sent as a plain one: Linux refuses those), else zeros.
     * hdr_len is the length of the headers through the TCP header. Call only for what the receiver negotiated.
     */
    public static void write(PacketBatch b, int i, long hdr) {
        MemorySegment d = b.data;
        if (!b.hasOffload(i) || (b.vflags[i] & F_NEEDS_CSUM) == 0) {
            d.set(ValueLayout.JAVA_LONG_UNALIGNED, hdr, 0L);
            d.set(JAVA_SHORT_UNALIGNED, hdr + 8, (short) 0);
            return;
        }
        int frame = b.off[i];
        int start = b.csumAt[i] - frame;
        int gso = b.gsoType[i], gsoSize = b.gsoSize[i], hdrLen = 0;
        if (gso != Segmentation.GSO_NONE) {
            hdrLen = start + ((d.get(JAVA_BYTE, b.csumAt[i] + 12) & 0xf0) >> 2);
            if (b.len[i] - hdrLen <= gsoSize) { gso = Segmentation.GSO_NONE; gsoSize = 0; hdrLen = 0; }
        }
        d.set(JAVA_BYTE, hdr, (byte) F_NEEDS_CSUM);
        d.set(JAVA_BYTE, hdr + 1, (byte) gso);
        d.set(LE_SHORT, hdr + 2, (short) hdrLen);
        d.set(LE_SHORT, hdr + 4, (short) gsoSize);
        d.set(LE_SHORT, hdr + 6, (short) start);
        d.set(LE_SHORT, hdr + 8, (short) b.csumOffset[i]);
    }

    /**
     * Writes the folded pseudo-header sum (addresses, protocol, L4 length from the IP header) into the checksum
     * field of a NEEDS_CSUM frame, from its headers as they are now. Returns false, changing nothing, if csum_start
     * is not right after an IPv4 or IPv6 header (behind at most two VLAN tags) or the lengths disagree.
     */
    public static boolean fixPseudo(MemorySegment d, int frame, int len, int csumAt, int csumOffset) {
        long p = pseudo(d, frame, len, csumAt);
        if (p < 0 || csumAt + csumOffset + 2 > frame + len) return false;
        d.set(BE_SHORT, csumAt + csumOffset, (short) Checksum.fold(p & SUM_BITS));
        return true;
    }

    /**
     * Completes a NEEDS_CSUM frame's checksum (what a NIC does): the complement of the sum over pseudo-header and
     * the bytes from csum_start to the end of the IP packet (Ethernet padding excluded), 0 written as 0xffff.
     * Headers it cannot read: the field is taken as the sender left it (Checksum.completePartial). Returns false
     * if even that is impossible (field outside the frame).
     */
    public static boolean complete(MemorySegment d, int frame, int len, int csumAt, int csumOffset) {
        long p = pseudo(d, frame, len, csumAt);
        if (p < 0) return Checksum.completePartial(d, frame, len, csumAt - frame, csumOffset);
        int l4len = (int) (p >>> 40);
        if (csumOffset + 2 > l4len) return false;
        long field = csumAt + csumOffset;
        d.set(BE_SHORT, field, (short) 0);
        int c = ~Checksum.fold((p & SUM_BITS) + Checksum.sum(d, csumAt, l4len)) & 0xffff;
        d.set(BE_SHORT, field, (short) (c == 0 ? 0xffff : c));
        return true;
    }

    /**
     * The unfolded pseudo-header sum (in the low 40 bits) and the L4 length (bits 40 and up) of the frame whose
     * L4 header starts at csumAt, or -1 if the headers do not say so.
     */
    private static long pseudo(MemorySegment d, int frame, int len, int csumAt) {
        int end = frame + len;
        int l3 = frame + Ethernet.HEADER;
        if (l3 > end) return -1;
        int et = be16(d, l3 - 2);
        for (int tags = 0; tags < 2 && (et == Ethernet.TYPE_VLAN || et == Ethernet.TYPE_QINQ); tags++) {
            if (l3 + 4 > end) return -1;
            et = be16(d, l3 + 2);
            l3 += 4;
        }
        long sum;
        int ipEnd;
        if (et == Ethernet.TYPE_IPV4) {
            if (l3 + 20 > end) return -1;
            int ihl = (d.get(JAVA_BYTE, l3) & 0xf) * 4;
            if (csumAt != l3 + ihl || ihl < 20) return -1;
            ipEnd = l3 + be16(d, l3 + 2);
            sum = Checksum.sum(d, l3 + 12, 8) + (d.get(JAVA_BYTE, l3 + 9) & 0xff);
        } else if (et == Ethernet.TYPE_IPV6) {
            if (l3 + 40 > end || csumAt != l3 + 40) return -1;
            ipEnd = l3 + 40 + be16(d, l3 + 4);
            sum = Checksum.sum(d, l3 + 8, 32) + (d.get(JAVA_BYTE, l3 + 6) & 0xff);
        } else {
            return -1;
        }
        if (ipEnd > end || ipEnd < csumAt) return -1;
        long l4len = ipEnd - csumAt;
        return (l4len << 40) | (sum + l4len);
    }

    private static int be16(MemorySegment s, long off) {
        return s.get(BE_SHORT, off) & 0xffff;
    }
}
