package io.xvio.packet;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * The header fields of one packet, extracted in place into a fixed array of 64-bit words (one field per word,
 * IPv6 addresses in two), plus the offsets of its L3 and L4 headers for actions that rewrite them. One
 * instance per batch slot, reused: extraction allocates nothing. Field meanings follow ovs-fields(7).
 */
public final class FlowKey {
    /**
     * Word positions. XREG0..XREG7 (words 2-9) hold the sixteen 32-bit registers two by two, as OVS's xregs:
     * reg(2N) in the high half of XREG0 + N, reg(2N+1) in the low half. PKT_MARK, DP_HASH, RECIRC_ID and CONJ_ID
     * are metadata: 0 when a packet is received, set by actions or the datapath.
     */
    public static final int IN_PORT = 0, METADATA = 1, XREG0 = 2, /* XREG1..XREG7 = 3..9 */ DL_SRC = 10, DL_DST = 11,
            DL_TYPE = 12, VLAN_TCI = 13, NW_SRC = 14, NW_DST = 15, NW_PROTO = 16, NW_TOS = 17, NW_TTL = 18,
            TP_SRC = 19, TP_DST = 20, IPV6_SRC_HI = 21, IPV6_SRC_LO = 22, IPV6_DST_HI = 23, IPV6_DST_LO = 24,
            TCP_FLAGS = 25, NW_ECN = 26, NW_FRAG = 27, PKT_MARK = 28, DP_HASH = 29, RECIRC_ID = 30, CONJ_ID = 31;
    /**
     * Words set from every received packet by {@link #extract} (headers, and metadata reset to 0). The words after
     * them are metadata only the datapath sets (tunnel and connection-tracking fields, as OVS's flow carries them):
     * whoever writes one sets {@link #extended}, and the next extract clears them, so a packet whose datapath
     * never uses them pays nothing for them.
     */
    public static final int PACKET_WORDS = 32;
    /**
     * Tunnel metadata (of a decapsulated packet, or to encapsulate with): tun_id; tun_src (high 32 bits) and
     * tun_dst (low 32) for IPv4; tun_ipv6_src and tun_ipv6_dst (two words each); tun_flags, tun_tos, tun_ttl,
     * tun_tp_src, tun_tp_dst packed in TUN_MISC; mapped Geneve options (tun_metadata) in TUN_METADATA0..+7.
     */
    public static final int TUN_ID = 32, TUN_IPV4 = 33, TUN_IPV6_SRC_HI = 34, TUN_IPV6_SRC_LO = 35, TUN_IPV6_DST_HI = 36,
            TUN_IPV6_DST_LO = 37, TUN_MISC = 38, TUN_METADATA0 = 39, TUN_METADATA_WORDS = 8;
    /**
     * Bit of TUN_MISC that says tun_metadata0 is present (tun_metadataN: this bit + N, bits 8..15), OVS's
     * {@code tun_metadata.present.map}: set when a received Geneve option fills the field or an action writes it; a
     * match on tun_metadataN requires it, and a Geneve port sends the present fields (a value 0 too).
     */
    public static final int TUN_METADATA_PRESENT = 8;
    /**
     * Connection-tracking metadata: ct_state, ct_zone and ct_nw_proto packed in CT_MISC; ct_mark; ct_label (two
     * words); the original direction's tuple: ct_nw_src/ct_nw_dst (IPv4, one word), ct_ipv6_src/dst (two words
     * each), ct_tp_src/ct_tp_dst.
     */
    public static final int CT_MISC = 47, CT_MARK = 48, CT_LABEL_HI = 49, CT_LABEL_LO = 50, CT_IPV4 = 51,
            CT_IPV6_SRC_HI = 52, CT_IPV6_SRC_LO = 53, CT_IPV6_DST_HI = 54, CT_IPV6_DST_LO = 55, CT_TP = 56;
    public static final int WORDS = 57;
    /** vlan_tci bit that says a tag is present (OVS's use of the CFI bit). */
    public static final int VLAN_PRESENT = 0x1000;
    public static final int FRAG_ANY = 1, FRAG_LATER = 2;
    /**
     * Set in the NW_FRAG word (above the two bits flows can match) when dl_type says IPv4/IPv6/ARP but the
     * header is truncated or malformed: such a packet must never share a cached decision with a valid one.
     */
    public static final int L3_INVALID = 4;

    private static final OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfLong BE64 = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public final long[] w = new long[WORDS];
    /** Whether a word from {@link #PACKET_WORDS} on may be non-zero (see there). */
    public boolean extended;
    /**
     * Offset of the L3 header from the frame start, or -1 (IPv4/IPv6: set even for a malformed header, as OVS sets
     * its l3 offset; {@link #L3_INVALID} says whether the header is whole); offset of the L4 header, or -1.
     */
    public int l3 = -1, l4 = -1;

    /**
     * Extracts the key of the frame at off (len bytes) received on inPort. Registers and metadata start at 0.
     * Headers are checked as OVS's flow extraction checks them (lib/flow.c): an IPv4 header shorter than 20
     * bytes, whose header length is under 20 or beyond the frame, or whose total length exceeds the frame or is
     * shorter than the header, leaves every L3 and L4 field 0 (the packet is IPv4 by its Ethernet type only); so
     * does an IPv6 header whose payload length exceeds the frame, or an ARP packet that is not Ethernet/IPv4.
     * L4 headers are read within the IP total (payload) length, never from trailing padding. Such packets get
     * {@link #L3_INVALID} in the NW_FRAG word, so no action rewrites their headers and no cache mixes them up
     * with valid ones.
     */
    public void extract(MemorySegment s, long off, int len, int inPort) {
        int p = extractL2(s, off, len, inPort);
        if (p < 0) return;
        long[] k = w;
        int type = (int) k[DL_TYPE];
        if (type == Ethernet.TYPE_IPV4 || type == Ethernet.TYPE_IPV6) l3 = p;   // as OVS's l3_ofs, valid header or not
        if (type == Ethernet.TYPE_IPV4) {
            int avail = len - p;
            if (avail < 20) { k[NW_FRAG] = L3_INVALID; return; }
            long h0 = s.get(BE64, off + p);          // version/ihl, tos, total length, id, flags/fragment offset
            int ihl = ((int) (h0 >>> 56) & 15) * 4;   // the version nibble is not checked (OVS does not either)
            int total = (int) (h0 >>> 32) & 0xffff;
            if (ihl < 20 || avail < ihl || total > avail || ihl > total) { k[NW_FRAG] = L3_INVALID; return; }
            long h1 = s.get(BE64, off + p + 8);      // ttl, protocol, checksum, source
            int tos = (int) (h0 >>> 48) & 0xff;
            k[NW_TOS] = tos & 0xfc;
            k[NW_ECN] = tos & 3;
            int frag = (int) h0 & 0xffff;
            if ((frag & 0x3fff) != 0) k[NW_FRAG] = FRAG_ANY | ((frag & 0x1fff) != 0 ? FRAG_LATER : 0);
            k[NW_TTL] = (h1 >>> 56) & 0xff;
            int proto = (int) (h1 >>> 48) & 0xff;
            k[NW_PROTO] = proto;
            k[NW_SRC] = h1 & 0xffffffffL;
            k[NW_DST] = s.get(BE32, off + p + 16) & 0xffffffffL;
            if ((k[NW_FRAG] & FRAG_LATER) == 0) l4(s, off, p + total, p + ihl, proto, false);
        } else if (type == Ethernet.TYPE_IPV6) {
            if (len - p < 40) { k[NW_FRAG] = L3_INVALID; return; }
            int plen = s.get(BE16, off + p + 4) & 0xffff;
            if (plen + 40 > len - p) { k[NW_FRAG] = L3_INVALID; return; }
            k[IPV6_SRC_HI] = s.get(BE64, off + p + 8);
            k[IPV6_SRC_LO] = s.get(BE64, off + p + 16);
            k[IPV6_DST_HI] = s.get(BE64, off + p + 24);
            k[IPV6_DST_LO] = s.get(BE64, off + p + 32);
            int end = p + 40 + plen;
            int next = s.get(JAVA_BYTE, off + p + 6) & 0xff;
            int q = p + 40;
            int fragBits = 0;
            // extension headers as OVS walks them: hop-by-hop, routing, destination options, AH, fragment; a
            // header that does not fit leaves the L3 fields but the addresses 0
            while (next == 0 || next == 43 || next == 60 || next == 51 || next == 44) {
                if (end - q < 8) { k[NW_FRAG] = L3_INVALID; return; }
                int nn = s.get(JAVA_BYTE, off + q) & 0xff;
                int hlen = next == 51 ? ((s.get(JAVA_BYTE, off + q + 1) & 0xff) + 2) * 4
                        : next == 44 ? 8 : ((s.get(JAVA_BYTE, off + q + 1) & 0xff) + 1) * 8;
                if (end - q < hlen) { k[NW_FRAG] = L3_INVALID; return; }
                if (next == 44) {
                    int offlg = s.get(BE16, off + q + 2) & 0xffff;
                    q += 8;
                    if (offlg != 0) {
                        fragBits = FRAG_ANY;
                        if ((offlg & 0xfff8) != 0) { fragBits |= FRAG_LATER; next = 44; break; }   // nw_proto 44
                    }
                    next = nn;
                    continue;
                }
                q += hlen;
                next = nn;
            }
            int vtc = s.get(BE32, off + p);
            int tc = (vtc >>> 20) & 0xff;
            k[NW_TOS] = tc & 0xfc;
            k[NW_ECN] = tc & 3;
            k[NW_TTL] = s.get(JAVA_BYTE, off + p + 7) & 0xff;
            k[NW_PROTO] = next;
            k[NW_FRAG] = fragBits;
            if ((fragBits & FRAG_LATER) == 0) l4(s, off, end, q, next, true);
        } else if (type == Ethernet.TYPE_ARP || type == 0x8035) {       // RARP has ARP's layout (OVS parses both)
            // Ethernet/IPv4 ARP only (hardware type 1, protocol 0x0800, address lengths 6 and 4), as OVS
            if (len < p + 28 || s.get(BE32, off + p) != 0x00010800 || (s.get(BE16, off + p + 4) & 0xffff) != 0x0604) {
                k[NW_FRAG] = L3_INVALID;
                return;
            }
            l3 = p;
            int op = s.get(BE16, off + p + 6) & 0xffff;
            k[NW_PROTO] = op <= 0xff ? op : 0;
            k[NW_SRC] = s.get(BE32, off + p + 14) & 0xffffffffL;
            k[NW_DST] = s.get(BE32, off + p + 24) & 0xffffffffL;
            k[TP_SRC] = s.get(BE64, off + p + 8) >>> 16;     // arp_sha (the 28-byte header holds the 8 bytes read)
            k[TP_DST] = s.get(BE64, off + p + 18) >>> 16;    // arp_tha
        }
    }

    /**
     * Extracts only what an L2 switch reads: in_port, Ethernet addresses, type and VLAN; every other word is 0
     * and there is no L3/L4 offset (enough for bridges whose only flow is NORMAL; {@link #extract} goes on from
     * here). Returns the offset of what follows the Ethernet header, or -1 for a frame shorter than one.
     */
    public int extractL2(MemorySegment s, long off, int len, int inPort) {
        long[] k = w;
        for (int i = 0; i < PACKET_WORDS; i++) k[i] = 0;
        if (extended) {
            for (int i = PACKET_WORDS; i < WORDS; i++) k[i] = 0;
            extended = false;
        }
        k[IN_PORT] = inPort;
        l3 = l4 = -1;
        if (len < 14) return -1;
        // few wide loads instead of many narrow ones: each access is bounds-checked
        k[DL_DST] = s.get(BE64, off) >>> 16;
        k[DL_SRC] = s.get(BE64, off + 6) >>> 16;
        int type = s.get(BE16, off + 12) & 0xffff;
        int p = 14;
        if ((type == Ethernet.TYPE_VLAN || type == Ethernet.TYPE_QINQ) && len >= 18) {
            k[VLAN_TCI] = (s.get(BE16, off + 14) & 0xffff) | VLAN_PRESENT;
            type = s.get(BE16, off + 16) & 0xffff;
            p = 18;
        }
        k[DL_TYPE] = type;
        return p;
    }

    /** L4 fields of the header at q, which must lie before end (the end of the IP packet), with OVS's minimum sizes. */
    private void l4(MemorySegment s, long off, int end, int q, int proto, boolean v6) {
        long[] k = w;
        int avail = end - q;
        if (proto == 6) {
            if (avail < 20) return;
            int doff = ((s.get(JAVA_BYTE, off + q + 12) & 0xff) >>> 4) * 4;
            if (doff < 20 || avail < doff) return;
            l4 = q;
            int ports = s.get(BE32, off + q);
            k[TP_SRC] = ports >>> 16;
            k[TP_DST] = ports & 0xffff;
            k[TCP_FLAGS] = s.get(BE16, off + q + 12) & 0x0fff;
        } else if ((proto == 17 && avail >= 8) || (proto == 132 && avail >= 12)) {
            l4 = q;
            int ports = s.get(BE32, off + q);
            k[TP_SRC] = ports >>> 16;
            k[TP_DST] = ports & 0xffff;
        } else if (((proto == 1 && !v6) || (proto == 58 && v6)) && avail >= 8) {
            l4 = q;
            int type = s.get(JAVA_BYTE, off + q) & 0xff, code = s.get(JAVA_BYTE, off + q + 1) & 0xff;
            k[TP_SRC] = type;
            k[TP_DST] = code;
            if (v6 && code == 0 && (type == 135 || type == 136) && avail >= 24) nd(s, off, end, q, type);
        }
    }

    /**
     * Neighbour solicitation (135) / advertisement (136): nd_target into NW_SRC/NW_DST, the source (1, in a
     * solicitation) or target (2, in an advertisement) link-layer address option into bits 16..63 of TP_SRC/TP_DST,
     * as OVS's parse_icmpv6 reads them; a malformed option list ends the reading (the fields read so far stay).
     */
    private void nd(MemorySegment s, long off, int end, int q, int type) {
        long[] k = w;
        k[NW_SRC] = s.get(BE64, off + q + 8);
        k[NW_DST] = s.get(BE64, off + q + 16);
        for (int o = q + 24; o + 8 <= end; ) {
            int t = s.get(JAVA_BYTE, off + o) & 0xff, len = (s.get(JAVA_BYTE, off + o + 1) & 0xff) * 8;
            if (len == 0 || o + len > end) return;
            if (len == 8 && t == 1 && type == 135) k[TP_SRC] |= (s.get(BE64, off + o) & 0xffffffffffffL) << 16;
            if (len == 8 && t == 2 && type == 136) k[TP_DST] |= (s.get(BE64, off + o) & 0xffffffffffffL) << 16;
            o += len;
        }
    }

    /** Zeroes the extended words (tunnel, registers, conntrack ...), if any were set: the packet has none of them yet. */
    public void clearExtended() {
        if (!extended) return;
        for (int i = PACKET_WORDS; i < WORDS; i++) w[i] = 0;
        extended = false;
    }

    public void copyFrom(FlowKey o) {
        System.arraycopy(o.w, 0, w, 0, o.extended || extended ? WORDS : PACKET_WORDS);
        extended = o.extended;
        l3 = o.l3;
        l4 = o.l4;
    }
}
