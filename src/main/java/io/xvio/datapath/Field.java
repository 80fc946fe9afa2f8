package io.xvio.datapath;

import io.xvio.datapath.action.*;

import io.xvio.packet.FlowKey;

/**
 * The match fields of ovs-fields(7) that xvio knows: name, where the field lives in a {@link FlowKey}, its
 * width, how it is written, and its prerequisite (e.g. nw_src needs dl_type=0x0800 or 0x0806). A field is one
 * key word or a part of one (the 32-bit registers: reg(2N) is the high half of xreg N's word, reg(2N+1) the low
 * half, as OVS lays them out), except 128-bit fields (IPv6 addresses, xxreg), which are two words (high then
 * low 64 bits). Values and masks in {@link Match}, {@link SetField} and the key are word values: a field's
 * bits shifted by {@link #shift}; {@link #get} and {@link #put} convert.
 */
public enum Field {
    IN_PORT("in_port", FlowKey.IN_PORT, 16, Format.DEC, Prereq.NONE),
    METADATA("metadata", FlowKey.METADATA, 64, Format.HEX, Prereq.NONE),
    REG0("reg0", FlowKey.XREG0 + 0, 32, 32, Format.HEX, Prereq.NONE),
    REG1("reg1", FlowKey.XREG0 + 0, 0, 32, Format.HEX, Prereq.NONE),
    REG2("reg2", FlowKey.XREG0 + 1, 32, 32, Format.HEX, Prereq.NONE),
    REG3("reg3", FlowKey.XREG0 + 1, 0, 32, Format.HEX, Prereq.NONE),
    REG4("reg4", FlowKey.XREG0 + 2, 32, 32, Format.HEX, Prereq.NONE),
    REG5("reg5", FlowKey.XREG0 + 2, 0, 32, Format.HEX, Prereq.NONE),
    REG6("reg6", FlowKey.XREG0 + 3, 32, 32, Format.HEX, Prereq.NONE),
    REG7("reg7", FlowKey.XREG0 + 3, 0, 32, Format.HEX, Prereq.NONE),
    REG8("reg8", FlowKey.XREG0 + 4, 32, 32, Format.HEX, Prereq.NONE),
    REG9("reg9", FlowKey.XREG0 + 4, 0, 32, Format.HEX, Prereq.NONE),
    REG10("reg10", FlowKey.XREG0 + 5, 32, 32, Format.HEX, Prereq.NONE),
    REG11("reg11", FlowKey.XREG0 + 5, 0, 32, Format.HEX, Prereq.NONE),
    REG12("reg12", FlowKey.XREG0 + 6, 32, 32, Format.HEX, Prereq.NONE),
    REG13("reg13", FlowKey.XREG0 + 6, 0, 32, Format.HEX, Prereq.NONE),
    REG14("reg14", FlowKey.XREG0 + 7, 32, 32, Format.HEX, Prereq.NONE),
    REG15("reg15", FlowKey.XREG0 + 7, 0, 32, Format.HEX, Prereq.NONE),
    XREG0("xreg0", FlowKey.XREG0 + 0, 0, 64, Format.HEX, Prereq.NONE),
    XREG1("xreg1", FlowKey.XREG0 + 1, 0, 64, Format.HEX, Prereq.NONE),
    XREG2("xreg2", FlowKey.XREG0 + 2, 0, 64, Format.HEX, Prereq.NONE),
    XREG3("xreg3", FlowKey.XREG0 + 3, 0, 64, Format.HEX, Prereq.NONE),
    XREG4("xreg4", FlowKey.XREG0 + 4, 0, 64, Format.HEX, Prereq.NONE),
    XREG5("xreg5", FlowKey.XREG0 + 5, 0, 64, Format.HEX, Prereq.NONE),
    XREG6("xreg6", FlowKey.XREG0 + 6, 0, 64, Format.HEX, Prereq.NONE),
    XREG7("xreg7", FlowKey.XREG0 + 7, 0, 64, Format.HEX, Prereq.NONE),
    XXREG0("xxreg0", FlowKey.XREG0 + 0, 0, 128, Format.HEX, Prereq.NONE),
    XXREG1("xxreg1", FlowKey.XREG0 + 2, 0, 128, Format.HEX, Prereq.NONE),
    XXREG2("xxreg2", FlowKey.XREG0 + 4, 0, 128, Format.HEX, Prereq.NONE),
    XXREG3("xxreg3", FlowKey.XREG0 + 6, 0, 128, Format.HEX, Prereq.NONE),
    PKT_MARK("pkt_mark", FlowKey.PKT_MARK, 32, Format.HEX, Prereq.NONE),
    DP_HASH("dp_hash", FlowKey.DP_HASH, 32, Format.HEX, Prereq.NONE),
    CONJ_ID("conj_id", FlowKey.CONJ_ID, 32, Format.DEC, Prereq.NONE),
    DL_SRC("dl_src", FlowKey.DL_SRC, 48, Format.MAC, Prereq.NONE),
    DL_DST("dl_dst", FlowKey.DL_DST, 48, Format.MAC, Prereq.NONE),
    DL_TYPE("dl_type", FlowKey.DL_TYPE, 16, Format.HEX, Prereq.NONE),
    /** The whole TCI with {@link FlowKey#VLAN_PRESENT} set when tagged; dl_vlan/dl_vlan_pcp are views of it. */
    VLAN_TCI("vlan_tci", FlowKey.VLAN_TCI, 16, Format.HEX, Prereq.NONE),
    NW_SRC("nw_src", FlowKey.NW_SRC, 32, Format.IPV4, Prereq.IPV4_OR_ARP),
    NW_DST("nw_dst", FlowKey.NW_DST, 32, Format.IPV4, Prereq.IPV4_OR_ARP),
    NW_PROTO("nw_proto", FlowKey.NW_PROTO, 8, Format.DEC, Prereq.IP_OR_ARP),
    /** The DSCP bits in their TOS position (low two bits zero), as ovs-fields' nw_tos. */
    NW_TOS("nw_tos", FlowKey.NW_TOS, 8, Format.DEC, Prereq.IP),
    NW_ECN("nw_ecn", FlowKey.NW_ECN, 2, Format.DEC, Prereq.IP),
    NW_TTL("nw_ttl", FlowKey.NW_TTL, 8, Format.DEC, Prereq.IP),
    TP_SRC("tp_src", FlowKey.TP_SRC, 16, Format.DEC, Prereq.L4),
    TP_DST("tp_dst", FlowKey.TP_DST, 16, Format.DEC, Prereq.L4),
    ICMP_TYPE("icmp_type", FlowKey.TP_SRC, 8, Format.DEC, Prereq.ICMP),
    ICMP_CODE("icmp_code", FlowKey.TP_DST, 8, Format.DEC, Prereq.ICMP),
    ARP_OP("arp_op", FlowKey.NW_PROTO, 8, Format.DEC, Prereq.ARP),
    ARP_SPA("arp_spa", FlowKey.NW_SRC, 32, Format.IPV4, Prereq.ARP),
    ARP_TPA("arp_tpa", FlowKey.NW_DST, 32, Format.IPV4, Prereq.ARP),
    /** ARP's sender and target hardware addresses, in the words L4 ports use (an ARP packet has none), as OVS. */
    ARP_SHA("arp_sha", FlowKey.TP_SRC, 48, Format.MAC, Prereq.ARP),
    ARP_THA("arp_tha", FlowKey.TP_DST, 48, Format.MAC, Prereq.ARP),
    /**
     * IPv6 neighbour discovery (ICMPv6 135/136): the target address in the words IPv4 addresses use (an IPv6 packet
     * has none), the source/target link-layer address options above the ICMPv6 type/code in the port words.
     */
    ND_TARGET("nd_target", FlowKey.NW_SRC, 128, Format.IPV6, Prereq.IPV6),
    ND_SLL("nd_sll", FlowKey.TP_SRC, 16, 48, Format.MAC, Prereq.IPV6),
    ND_TLL("nd_tll", FlowKey.TP_DST, 16, 48, Format.MAC, Prereq.IPV6),
    IPV6_SRC("ipv6_src", FlowKey.IPV6_SRC_HI, 128, Format.IPV6, Prereq.IPV6),
    IPV6_DST("ipv6_dst", FlowKey.IPV6_DST_HI, 128, Format.IPV6, Prereq.IPV6),
    TCP_FLAGS("tcp_flags", FlowKey.TCP_FLAGS, 12, Format.HEX, Prereq.TCP),
    NW_FRAG("nw_frag", FlowKey.NW_FRAG, 2, Format.DEC, Prereq.IP),
    /** Tunnel metadata (issue 16): of a decapsulated packet (set by the underlay), or to encapsulate with. */
    TUN_ID("tun_id", FlowKey.TUN_ID, 64, Format.HEX, Prereq.NONE),
    TUN_SRC("tun_src", FlowKey.TUN_IPV4, 32, 32, Format.IPV4, Prereq.NONE),
    TUN_DST("tun_dst", FlowKey.TUN_IPV4, 0, 32, Format.IPV4, Prereq.NONE),
    TUN_IPV6_SRC("tun_ipv6_src", FlowKey.TUN_IPV6_SRC_HI, 128, Format.IPV6, Prereq.NONE),
    TUN_IPV6_DST("tun_ipv6_dst", FlowKey.TUN_IPV6_DST_HI, 128, Format.IPV6, Prereq.NONE),
    /** tun_flags: OVS's matchable bit, oam (1); bits 8..15 of the word are {@link #TUN_METADATA_PRESENT}. */
    TUN_FLAGS("tun_flags", FlowKey.TUN_MISC, 0, 8, Format.HEX, Prereq.NONE),
    TUN_TOS("tun_tos", FlowKey.TUN_MISC, 16, 8, Format.DEC, Prereq.NONE),
    TUN_TTL("tun_ttl", FlowKey.TUN_MISC, 24, 8, Format.DEC, Prereq.NONE),
    TUN_TP_SRC("tun_tp_src", FlowKey.TUN_MISC, 32, 16, Format.DEC, Prereq.NONE),
    TUN_TP_DST("tun_tp_dst", FlowKey.TUN_MISC, 48, 16, Format.DEC, Prereq.NONE),
    /**
     * Geneve options mapped by the bridge's TLV map (add-tlv-map): tun_metadata0..7, one key word each, the option's
     * data (up to 8 bytes) as a big-endian number; 0 when the packet has no such option.
     */
    TUN_METADATA0("tun_metadata0", FlowKey.TUN_METADATA0, 64, Format.HEX, Prereq.NONE),
    TUN_METADATA1("tun_metadata1", FlowKey.TUN_METADATA0 + 1, 64, Format.HEX, Prereq.NONE),
    TUN_METADATA2("tun_metadata2", FlowKey.TUN_METADATA0 + 2, 64, Format.HEX, Prereq.NONE),
    TUN_METADATA3("tun_metadata3", FlowKey.TUN_METADATA0 + 3, 64, Format.HEX, Prereq.NONE),
    TUN_METADATA4("tun_metadata4", FlowKey.TUN_METADATA0 + 4, 64, Format.HEX, Prereq.NONE),
    TUN_METADATA5("tun_metadata5", FlowKey.TUN_METADATA0 + 5, 64, Format.HEX, Prereq.NONE),
    TUN_METADATA6("tun_metadata6", FlowKey.TUN_METADATA0 + 6, 64, Format.HEX, Prereq.NONE),
    TUN_METADATA7("tun_metadata7", FlowKey.TUN_METADATA0 + 7, 64, Format.HEX, Prereq.NONE),
    /**
     * Which tun_metadataN are present (bit N), OVS's present map: not a field flows name; a match on tun_metadataN
     * and a write to it add its bit ({@link #presentBit}).
     */
    TUN_METADATA_PRESENT("tun_metadata_present", FlowKey.TUN_MISC, FlowKey.TUN_METADATA_PRESENT, 8, Format.HEX, Prereq.NONE),
    // connection-tracking metadata, set by ct() (FlowKey's CT_* words; 0 for a packet never tracked)
    /** 32 bits as in OVS (NXM_NX_CT_STATE is be32); the flags are the low 8. */
    CT_STATE("ct_state", FlowKey.CT_MISC, 0, 32, Format.HEX, Prereq.NONE),
    CT_ZONE("ct_zone", FlowKey.CT_MISC, 32, 16, Format.DEC, Prereq.NONE),
    CT_NW_PROTO("ct_nw_proto", FlowKey.CT_MISC, 48, 8, Format.DEC, Prereq.NONE),
    CT_MARK("ct_mark", FlowKey.CT_MARK, 0, 32, Format.HEX, Prereq.NONE),
    CT_LABEL("ct_label", FlowKey.CT_LABEL_HI, 0, 128, Format.HEX, Prereq.NONE),
    CT_NW_SRC("ct_nw_src", FlowKey.CT_IPV4, 32, 32, Format.IPV4, Prereq.NONE),
    CT_NW_DST("ct_nw_dst", FlowKey.CT_IPV4, 0, 32, Format.IPV4, Prereq.NONE),
    CT_IPV6_SRC("ct_ipv6_src", FlowKey.CT_IPV6_SRC_HI, 0, 128, Format.IPV6, Prereq.NONE),
    CT_IPV6_DST("ct_ipv6_dst", FlowKey.CT_IPV6_DST_HI, 0, 128, Format.IPV6, Prereq.NONE),
    CT_TP_SRC("ct_tp_src", FlowKey.CT_TP, 16, 16, Format.DEC, Prereq.NONE),
    CT_TP_DST("ct_tp_dst", FlowKey.CT_TP, 0, 16, Format.DEC, Prereq.NONE);

    public enum Format { DEC, HEX, MAC, IPV4, IPV6 }

    /** What must be matched (exactly) before a field may be matched or set. */
    public enum Prereq { NONE, IPV4_OR_ARP, IP_OR_ARP, IP, IPV4, IPV6, ARP, L4, ICMP, TCP }

    public final String ofName;
    public final int word;
    /** Position of the field's lowest bit in its word (32 for even registers, else 0). */
    public final int shift;
    public final int bits;
    public final Format format;
    public final Prereq prereq;

    Field(String ofName, int word, int bits, Format format, Prereq prereq) {
        this(ofName, word, 0, bits, format, prereq);
    }

    Field(String ofName, int word, int shift, int bits, Format format, Prereq prereq) {
        this.ofName = ofName;
        this.word = word;
        this.shift = shift;
        this.bits = bits;
        this.format = format;
        this.prereq = prereq;
    }

    /** Key words the field covers (2 for IPv6 addresses and xxreg). */
    public int words() { return bits > 64 ? 2 : 1; }

    /** All-ones mask of the field's own bits (not shifted; for 128-bit fields, of one 64-bit half). */
    public long fieldMask() { return bits >= 64 ? -1L : (1L << bits) - 1; }

    /** The bits of one key word this field covers (its {@link #fieldMask} shifted into place). */
    public long fullMask() { return fieldMask() << shift; }

    /** The field's value in key word w. */
    public long get(long w) { return (w >>> shift) & fieldMask(); }

    /** Field value v (or a mask) as word bits. */
    public long put(long v) { return (v & fieldMask()) << shift; }

    /**
     * Whether this field lives only in the pipeline (metadata, the registers): no frame byte and nothing a port
     * reads when it sends (a tunnel port reads the tun_* fields), so writing it leaves a queued output as it was.
     */
    public boolean pipelineOnly() {
        return word == FlowKey.METADATA || (word >= FlowKey.XREG0 && word < FlowKey.XREG0 + 8);
    }

    /** For tun_metadataN: its present bit in the key word ({@link FlowKey#TUN_METADATA_PRESENT}); else 0. */
    public long presentBit() {
        int n = word - FlowKey.TUN_METADATA0;
        return this != TUN_METADATA_PRESENT && n >= 0 && n < FlowKey.TUN_METADATA_WORDS ? 1L << (FlowKey.TUN_METADATA_PRESENT + n) : 0;
    }

    public static Field byName(String name) {
        for (Field f : values()) if (f.ofName.equals(name)) return f;
        return null;
    }
}
