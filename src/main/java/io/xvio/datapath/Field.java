package io.xvio.datapath;

import io.xvio.packet.FlowKey;

/**
 * The match fields of ovs-fields(7) that xvio knows: name, where the field lives in a {@link FlowKey}, its
 * width, how it is written, and its prerequisite (e.g. nw_src needs dl_type=0x0800 or 0x0806). A field is one
 * key word, except IPv6 addresses, which are two (high then low 64 bits).
 */
public enum Field {
    IN_PORT("in_port", FlowKey.IN_PORT, 16, Format.DEC, Prereq.NONE),
    METADATA("metadata", FlowKey.METADATA, 64, Format.HEX, Prereq.NONE),
    REG0("reg0", FlowKey.REG0, 32, Format.HEX, Prereq.NONE),
    REG1("reg1", FlowKey.REG0 + 1, 32, Format.HEX, Prereq.NONE),
    REG2("reg2", FlowKey.REG0 + 2, 32, Format.HEX, Prereq.NONE),
    REG3("reg3", FlowKey.REG0 + 3, 32, Format.HEX, Prereq.NONE),
    REG4("reg4", FlowKey.REG0 + 4, 32, Format.HEX, Prereq.NONE),
    REG5("reg5", FlowKey.REG0 + 5, 32, Format.HEX, Prereq.NONE),
    REG6("reg6", FlowKey.REG0 + 6, 32, Format.HEX, Prereq.NONE),
    REG7("reg7", FlowKey.REG0 + 7, 32, Format.HEX, Prereq.NONE),
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
    IPV6_SRC("ipv6_src", FlowKey.IPV6_SRC_HI, 128, Format.IPV6, Prereq.IPV6),
    IPV6_DST("ipv6_dst", FlowKey.IPV6_DST_HI, 128, Format.IPV6, Prereq.IPV6),
    TCP_FLAGS("tcp_flags", FlowKey.TCP_FLAGS, 12, Format.HEX, Prereq.TCP),
    NW_FRAG("nw_frag", FlowKey.NW_FRAG, 2, Format.DEC, Prereq.IP);

    public enum Format { DEC, HEX, MAC, IPV4, IPV6 }

    /** What must be matched (exactly) before a field may be matched or set. */
    public enum Prereq { NONE, IPV4_OR_ARP, IP_OR_ARP, IP, IPV4, IPV6, ARP, L4, ICMP, TCP }

    public final String ofName;
    public final int word;
    public final int bits;
    public final Format format;
    public final Prereq prereq;

    Field(String ofName, int word, int bits, Format format, Prereq prereq) {
        this.ofName = ofName;
        this.word = word;
        this.bits = bits;
        this.format = format;
        this.prereq = prereq;
    }

    /** Key words the field covers (2 for IPv6 addresses). */
    public int words() { return bits > 64 ? 2 : 1; }

    /** All-ones mask for one word of this field. */
    public long fullMask() { return bits >= 64 ? -1L : (1L << bits) - 1; }

    public static Field byName(String name) {
        for (Field f : values()) if (f.ofName.equals(name)) return f;
        return null;
    }
}
