package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.Match;
import io.xvio.packet.FlowKey;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * NXM and OXM match entries (nx-match.c's format; ovs-fields(7) names the headers), table-driven: each entry
 * says which header (class, field, length) carries which xvio {@link Field}, how its wire value maps onto the
 * field's bits, and what the match must already hold (its prerequisite). NXM (OpenFlow 1.0 with Nicira
 * extensions) and OXM (1.2+) share the layout: a 32-bit header (class 16, field 7, has-mask 1, length 8), the
 * value, then the mask when has-mask is set; OVS accepts every known header in both, and so does xvio.
 */
public final class Oxm {
    private Oxm() {}

    public static final int NXM0 = 0x0000, NXM1 = 0x0001, BASIC = 0x8000, PKT_REGS = 0x8001;

    /** How wire bytes become field bits. */
    enum Kind { PLAIN, IN_PORT32, VLAN_VID, VLAN_PCP, DSCP, WIDE, SMALL,
        /** NXM_NX_TUN_METADATA0..7: the header's length is the mapped option's ({@link TlvLengths}); wire is the most. */
        VARIABLE }

    /** NXM_NX_TUN_METADATA0 is NXM1 field 40; OVS has 64 (40..103), xvio maps the first {@link FlowKey#TUN_METADATA_WORDS}. */
    static final int TUN_METADATA_FIELD = 40, TUN_METADATA_FIELDS = 64;

    /** What the match must pin down before the entry is allowed (OVS's mf_prereqs). */
    enum Need { NONE, IP4_ARP, IP_ARP, IP, IP4, IP6, ARP, TCP, UDP, SCTP, ICMP4, ICMP6, L4, VLAN }

    /** One header. wire: value bytes (without the mask). */
    record Entry(int cls, int field, int wire, Field target, Kind kind, Need need) {
        int header(boolean masked) { return header(masked, wire); }
        /** The header for a value of len bytes (a variable-length field's). */
        int header(boolean masked, int len) { return cls << 16 | field << 9 | (masked ? 1 << 8 : 0) | (masked ? 2 * len : len); }
        String name() { return target.ofName + "(" + Integer.toHexString(cls) + ":" + field + ")"; }
    }

    private static final int FIELD_BITS_WORDS = (2 * Field.values().length + 63) / 64, NEEDS = Need.values().length;

    static final List<Entry> ENTRIES = new ArrayList<>();
    /** By class (NXM0, NXM1, BASIC, PKT_REGS: the index {@link #classIndex} gives) and field: a lookup per entry of every match decoded. */
    private static final Entry[][] BY_KEY = new Entry[4][128];

    private static int classIndex(int cls) {
        return switch (cls) {
            case NXM0 -> 0;
            case NXM1 -> 1;
            case BASIC -> 2;
            case PKT_REGS -> 3;
            default -> -1;
        };
    }

    private static void e(int cls, int field, int wire, Field f, Kind k, Need n) {
        Entry en = new Entry(cls, field, wire, f, k, n);
        ENTRIES.add(en);
        BY_KEY[classIndex(cls)][field] = en;
    }

    static {
        e(NXM0, 0, 2, Field.IN_PORT, Kind.PLAIN, Need.NONE);
        e(NXM0, 1, 6, Field.DL_DST, Kind.PLAIN, Need.NONE);
        e(NXM0, 2, 6, Field.DL_SRC, Kind.PLAIN, Need.NONE);
        e(NXM0, 3, 2, Field.DL_TYPE, Kind.PLAIN, Need.NONE);
        e(NXM0, 4, 2, Field.VLAN_TCI, Kind.PLAIN, Need.NONE);
        e(NXM0, 5, 1, Field.NW_TOS, Kind.PLAIN, Need.IP);
        e(NXM0, 6, 1, Field.NW_PROTO, Kind.PLAIN, Need.IP_ARP);
        e(NXM0, 7, 4, Field.NW_SRC, Kind.PLAIN, Need.IP4);
        e(NXM0, 8, 4, Field.NW_DST, Kind.PLAIN, Need.IP4);
        e(NXM0, 9, 2, Field.TP_SRC, Kind.PLAIN, Need.TCP);
        e(NXM0, 10, 2, Field.TP_DST, Kind.PLAIN, Need.TCP);
        e(NXM0, 11, 2, Field.TP_SRC, Kind.PLAIN, Need.UDP);
        e(NXM0, 12, 2, Field.TP_DST, Kind.PLAIN, Need.UDP);
        e(NXM0, 13, 1, Field.ICMP_TYPE, Kind.PLAIN, Need.ICMP4);
        e(NXM0, 14, 1, Field.ICMP_CODE, Kind.PLAIN, Need.ICMP4);
        e(NXM0, 15, 2, Field.ARP_OP, Kind.SMALL, Need.ARP);
        e(NXM0, 16, 4, Field.ARP_SPA, Kind.PLAIN, Need.ARP);
        e(NXM0, 17, 4, Field.ARP_TPA, Kind.PLAIN, Need.ARP);
        e(NXM1, 23, 16, Field.ND_TARGET, Kind.WIDE, Need.ICMP6);
        e(NXM1, 24, 6, Field.ND_SLL, Kind.PLAIN, Need.ICMP6);
        e(NXM1, 25, 6, Field.ND_TLL, Kind.PLAIN, Need.ICMP6);
        e(BASIC, 31, 16, Field.ND_TARGET, Kind.WIDE, Need.ICMP6);
        e(BASIC, 32, 6, Field.ND_SLL, Kind.PLAIN, Need.ICMP6);
        e(BASIC, 33, 6, Field.ND_TLL, Kind.PLAIN, Need.ICMP6);
        e(NXM1, 17, 6, Field.ARP_SHA, Kind.PLAIN, Need.ARP);
        e(NXM1, 18, 6, Field.ARP_THA, Kind.PLAIN, Need.ARP);
        for (int r = 0; r < 16; r++) e(NXM1, r, 4, Field.valueOf("REG" + r), Kind.PLAIN, Need.NONE);
        e(NXM1, 19, 16, Field.IPV6_SRC, Kind.WIDE, Need.IP6);
        e(NXM1, 20, 16, Field.IPV6_DST, Kind.WIDE, Need.IP6);
        e(NXM1, 21, 1, Field.ICMP_TYPE, Kind.PLAIN, Need.ICMP6);
        e(NXM1, 22, 1, Field.ICMP_CODE, Kind.PLAIN, Need.ICMP6);
        e(NXM1, 26, 1, Field.NW_FRAG, Kind.SMALL, Need.IP);
        e(NXM1, 28, 1, Field.NW_ECN, Kind.SMALL, Need.IP);
        e(NXM1, 29, 1, Field.NW_TTL, Kind.PLAIN, Need.IP);
        e(NXM1, 33, 4, Field.PKT_MARK, Kind.PLAIN, Need.NONE);
        e(NXM1, 16, 8, Field.TUN_ID, Kind.PLAIN, Need.NONE);         // NXM_NX_TUN_ID (Neutron's br-tun learn loads it)
        e(NXM1, 31, 4, Field.TUN_SRC, Kind.PLAIN, Need.NONE);        // NXM_NX_TUN_IPV4_SRC/DST: no OXM of their own
        e(NXM1, 32, 4, Field.TUN_DST, Kind.PLAIN, Need.NONE);
        e(NXM1, 109, 16, Field.TUN_IPV6_SRC, Kind.WIDE, Need.NONE);
        e(NXM1, 110, 16, Field.TUN_IPV6_DST, Kind.WIDE, Need.NONE);
        e(NXM1, 104, 2, Field.TUN_FLAGS, Kind.SMALL, Need.NONE);     // OVS's one public flag, oam
        e(NXM1, 34, 2, Field.TCP_FLAGS, Kind.SMALL, Need.TCP);
        e(NXM1, 35, 4, Field.DP_HASH, Kind.PLAIN, Need.NONE);
        e(NXM1, 37, 4, Field.CONJ_ID, Kind.PLAIN, Need.NONE);
        for (int r = 0; r < 4; r++) e(NXM1, 111 + r, 16, Field.valueOf("XXREG" + r), Kind.WIDE, Need.NONE);
        e(NXM1, 105, 4, Field.CT_STATE, Kind.PLAIN, Need.NONE);
        e(NXM1, 106, 2, Field.CT_ZONE, Kind.PLAIN, Need.NONE);
        e(NXM1, 107, 4, Field.CT_MARK, Kind.PLAIN, Need.NONE);
        e(NXM1, 108, 16, Field.CT_LABEL, Kind.WIDE, Need.NONE);
        e(NXM1, 119, 1, Field.CT_NW_PROTO, Kind.PLAIN, Need.NONE);
        e(NXM1, 120, 4, Field.CT_NW_SRC, Kind.PLAIN, Need.NONE);
        e(NXM1, 121, 4, Field.CT_NW_DST, Kind.PLAIN, Need.NONE);
        e(NXM1, 122, 16, Field.CT_IPV6_SRC, Kind.WIDE, Need.NONE);
        e(NXM1, 123, 16, Field.CT_IPV6_DST, Kind.WIDE, Need.NONE);
        e(NXM1, 124, 2, Field.CT_TP_SRC, Kind.PLAIN, Need.NONE);
        e(NXM1, 125, 2, Field.CT_TP_DST, Kind.PLAIN, Need.NONE);
        e(BASIC, 0, 4, Field.IN_PORT, Kind.IN_PORT32, Need.NONE);
        e(BASIC, 2, 8, Field.METADATA, Kind.PLAIN, Need.NONE);
        e(BASIC, 38, 8, Field.TUN_ID, Kind.PLAIN, Need.NONE);        // OXM_OF_TUNNEL_ID
        e(BASIC, 3, 6, Field.DL_DST, Kind.PLAIN, Need.NONE);
        e(BASIC, 4, 6, Field.DL_SRC, Kind.PLAIN, Need.NONE);
        e(BASIC, 5, 2, Field.DL_TYPE, Kind.PLAIN, Need.NONE);
        e(BASIC, 6, 2, Field.VLAN_TCI, Kind.VLAN_VID, Need.NONE);
        e(BASIC, 7, 1, Field.VLAN_TCI, Kind.VLAN_PCP, Need.VLAN);
        e(BASIC, 8, 1, Field.NW_TOS, Kind.DSCP, Need.IP);
        e(BASIC, 9, 1, Field.NW_ECN, Kind.SMALL, Need.IP);
        e(BASIC, 10, 1, Field.NW_PROTO, Kind.PLAIN, Need.IP_ARP);
        e(BASIC, 11, 4, Field.NW_SRC, Kind.PLAIN, Need.IP4);
        e(BASIC, 12, 4, Field.NW_DST, Kind.PLAIN, Need.IP4);
        e(BASIC, 13, 2, Field.TP_SRC, Kind.PLAIN, Need.TCP);
        e(BASIC, 14, 2, Field.TP_DST, Kind.PLAIN, Need.TCP);
        e(BASIC, 15, 2, Field.TP_SRC, Kind.PLAIN, Need.UDP);
        e(BASIC, 16, 2, Field.TP_DST, Kind.PLAIN, Need.UDP);
        e(BASIC, 17, 2, Field.TP_SRC, Kind.PLAIN, Need.SCTP);
        e(BASIC, 18, 2, Field.TP_DST, Kind.PLAIN, Need.SCTP);
        e(BASIC, 19, 1, Field.ICMP_TYPE, Kind.PLAIN, Need.ICMP4);
        e(BASIC, 20, 1, Field.ICMP_CODE, Kind.PLAIN, Need.ICMP4);
        e(BASIC, 21, 2, Field.ARP_OP, Kind.SMALL, Need.ARP);
        e(BASIC, 22, 4, Field.ARP_SPA, Kind.PLAIN, Need.ARP);
        e(BASIC, 23, 4, Field.ARP_TPA, Kind.PLAIN, Need.ARP);
        e(BASIC, 24, 6, Field.ARP_SHA, Kind.PLAIN, Need.ARP);
        e(BASIC, 25, 6, Field.ARP_THA, Kind.PLAIN, Need.ARP);
        e(BASIC, 26, 16, Field.IPV6_SRC, Kind.WIDE, Need.IP6);
        e(BASIC, 27, 16, Field.IPV6_DST, Kind.WIDE, Need.IP6);
        e(BASIC, 29, 1, Field.ICMP_TYPE, Kind.PLAIN, Need.ICMP6);
        e(BASIC, 30, 1, Field.ICMP_CODE, Kind.PLAIN, Need.ICMP6);
        e(BASIC, 42, 2, Field.TCP_FLAGS, Kind.SMALL, Need.TCP);
        for (int r = 0; r < 8; r++) e(PKT_REGS, r, 8, Field.valueOf("XREG" + r), Kind.PLAIN, Need.NONE);
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++)
            e(NXM1, TUN_METADATA_FIELD + n, 8, Field.valueOf("TUN_METADATA" + n), Kind.VARIABLE, Need.NONE);
    }

    /** All ones over len bytes. */
    private static long ones(int len) { return len >= 8 ? -1L : (1L << 8 * len) - 1; }

    /**
     * Writes tun_metadataN = value/mask as a variable-length entry (OVS's mf_field_len): masked unless the mask covers
     * the whole option (the mapped length, or 8 bytes with no map); as long as the mapped option when a switch's map
     * is bound, else the fewest bytes (at least 1) that hold the value (and the mask, if masked).
     */
    static void writeVariable(Wire.Writer w, Entry e, long value, long mask) {
        int mapped = TlvLengths.mapped(e.field - TUN_METADATA_FIELD);
        boolean masked = mask != -1L && mask != ones(mapped > 0 ? mapped : 8);
        long significant = masked ? value | mask : value;
        int len = Math.max(Math.max(1, (64 - Long.numberOfLeadingZeros(significant) + 7) / 8), mapped);
        w.u32(e.header(masked, len) & 0xffffffffL).uN(value, len);
        if (masked) w.uN(mask, len);
    }

    /** The NXM header of tun_metadataN as a move, push or load names it: its mapped length, else xvio's most (8). */
    static long variableHeader(Field f) {
        Entry e = entry(NXM1, TUN_METADATA_FIELD + (f.word - FlowKey.TUN_METADATA0));
        int mapped = TlvLengths.mapped(f.word - FlowKey.TUN_METADATA0);
        return e.header(false, mapped > 0 ? mapped : e.wire) & 0xffffffffL;
    }

    /**
     * Checks that a switch's map (when bound) maps tun_metadataN, as OVS's mf_vl_mff_invalid: a field the map does
     * not hold is NXFMFC_INVALID_TLV_FIELD.
     */
    static void checkMapped(int n) {
        if (TlvLengths.mapped(n) == 0 || n >= FlowKey.TUN_METADATA_WORDS)
            throw OfError.INVALID_TLV_FIELD.fail("tun_metadata" + n + " is not mapped to a Geneve option on this bridge (NXT_TLV_TABLE_MOD"
                    + (n >= FlowKey.TUN_METADATA_WORDS ? "; xvio maps tun_metadata0-" + (FlowKey.TUN_METADATA_WORDS - 1) : "") + ")");
    }

    /**
     * A variable-length entry's value and mask (OVS's nx_pull_entry for a mapped field): the value is 1 up to the
     * mapped length (with no map: 8) bytes, right-aligned in the field; a mask is as long as the value (the header's
     * length even); no mask, or a mask of the whole option, is exact (mask -1: the word above the option is 0).
     */
    private static Bits readVariable(Wire.Reader r, Entry e, int len, boolean hasMask) {
        int n = e.field - TUN_METADATA_FIELD;
        checkMapped(n);
        int mapped = TlvLengths.mapped(n), max = mapped > 0 ? mapped : e.wire;
        if (hasMask && len % 2 != 0) throw OfError.BAD_MATCH_LEN.fail(e.name() + ": masked length " + len + " is odd");
        int width = hasMask ? len / 2 : len;
        if (width < 1 || width > max)
            throw OfError.BAD_MATCH_LEN.fail(e.name() + ": " + width + "-byte value (the option is " + (mapped > 0 ? mapped + " bytes)" : "at most " + max + " bytes in xvio)"));
        long v = r.uN(width), m = hasMask ? r.uN(width) : ones(max);
        if ((v & ~m) != 0) throw OfError.BAD_WILDCARDS.fail(e.name() + ": value has bits outside its mask");
        if (m == ones(max)) m = -1L;          // the whole option: exact (the word's bytes above it are always 0)
        return new Bits(e, v, m, 0, 0);
    }

    static Entry entry(int cls, int field) {
        int c = classIndex(cls);
        return c < 0 || field < 0 || field > 127 ? null : BY_KEY[c][field];
    }

    /** A decoded entry's value and mask as key-word bits (hi/lo words for 128-bit fields). */
    record Bits(Entry entry, long value, long mask, long valueLo, long maskLo) {}

    /**
     * Reads one entry (header, value, mask) from r: unknown headers are BAD_FIELD, wrong lengths BAD_LEN, value
     * bits outside the mask BAD_WILDCARDS, out-of-range values BAD_VALUE. unknown: the error for an unknown
     * header (BAD_FIELD in a match, BAD_SET_TYPE in an action).
     */
    static Bits readEntry(Wire.Reader r, OfError unknown) {
        long header = r.u32();
        int cls = (int) (header >>> 16), field = (int) (header >>> 9) & 0x7f, len = (int) header & 0xff;
        boolean hasMask = (header & 0x100) != 0;
        if (cls == 0xffff) {             // experimenter OXM: skip its id and reject it as OVS rejects unknown ones
            r.skip(Math.min(len, r.remaining()));
            throw unknown.fail("experimenter match/set field 0x" + Long.toHexString(header) + " is not supported");
        }
        if (cls == NXM1 && field >= TUN_METADATA_FIELD + FlowKey.TUN_METADATA_WORDS && field < TUN_METADATA_FIELD + TUN_METADATA_FIELDS) {
            r.skip(Math.min(len, r.remaining()));
            checkMapped(field - TUN_METADATA_FIELD);
        }
        Entry e = entry(cls, field);
        if (e != null && e.kind == Kind.VARIABLE) return readVariable(r, e, len, hasMask);
        if (e == null) throw unknown.fail("match field " + Integer.toHexString(cls) + ":" + field + " (header 0x" + Long.toHexString(header) + ") is not supported by xvio");
        if (len != (hasMask ? 2 * e.wire : e.wire)) throw OfError.BAD_MATCH_LEN.fail(e.name() + ": length " + len + " (expected " + (hasMask ? 2 * e.wire : e.wire) + ")");
        if (e.kind == Kind.WIDE) {
            long vh = r.u64(), vl = r.u64(), mh = -1, ml = -1;
            if (hasMask) { mh = r.u64(); ml = r.u64(); }
            if ((vh & ~mh) != 0 || (vl & ~ml) != 0) throw OfError.BAD_WILDCARDS.fail(e.name() + ": value has bits outside its mask");
            return new Bits(e, vh, mh, vl, ml);
        }
        long v = r.uN(e.wire), m = hasMask ? r.uN(e.wire) : (e.wire == 8 ? -1L : (1L << 8 * e.wire) - 1);
        if ((v & ~m) != 0) throw OfError.BAD_WILDCARDS.fail(e.name() + ": value has bits outside its mask");
        Field f = e.target;
        switch (e.kind) {
            case IN_PORT32 -> {
                if (hasMask) throw OfError.BAD_MASK.fail("in_port cannot be masked");
                long p = Ports.from32(v);
                if (p < 0) throw OfError.BAD_VALUE.fail("in_port " + Long.toUnsignedString(v) + " is out of range");
                return new Bits(e, f.put(p), f.fullMask(), 0, 0);
            }
            case VLAN_VID -> {
                if (!hasMask) m = 0x1fff;
                if ((v & ~0x1fffL) != 0 || (m & ~0x1fffL) != 0) throw OfError.BAD_VALUE.fail("vlan_vid 0x" + Long.toHexString(v) + " is out of range");
                return new Bits(e, v, m, 0, 0);
            }
            case VLAN_PCP -> {
                if (v > 7) throw OfError.BAD_VALUE.fail("vlan_pcp " + v + " is out of range");
                return new Bits(e, v << 13 | FlowKey.VLAN_PRESENT, 0xe000 | FlowKey.VLAN_PRESENT, 0, 0);
            }
            case DSCP -> {
                if (!hasMask) m = 0x3f;
                if (v > 63) throw OfError.BAD_VALUE.fail("ip_dscp " + v + " is out of range");
                return new Bits(e, v << 2, m == 0x3f ? 0xff : (m << 2) & 0xfc, 0, 0);   // xvio's nw_tos match covers the byte
            }
            case SMALL -> {
                if ((v & ~f.fieldMask()) != 0) throw OfError.BAD_VALUE.fail(f.ofName + " " + v + " is out of range");
                return new Bits(e, f.put(v), f.put(m), 0, 0);
            }
            default -> {
                if (f == Field.NW_TOS && (v & 3) != 0) throw OfError.BAD_VALUE.fail("nw_tos " + v + ": the two low (ECN) bits must be zero");
                return new Bits(e, f.put(v), f.put(m), 0, 0);
            }
        }
    }

    /**
     * Decodes the entries of r (its whole remaining length) into a match: duplicates are DUP_FIELD, unmet
     * prerequisites BAD_PREREQ, as OVS's nx_pull_match checks them.
     */
    public static Match decode(Wire.Reader r) { return decode(r, new Match()); }

    /** As {@link #decode(Wire.Reader)}, into m (empty). */
    static Match decode(Wire.Reader r, Match m) {
        // fields seen (bit 2 * ordinal, + 1 for vlan_pcp, which shares vlan_tci), and the first entry needing each Need
        long[] fields = new long[FIELD_BITS_WORDS];
        Entry[] needing = null;         // in the order they came, one per Need, so the error names the first failing
        int needs = 0, needSeen = 0;
        while (r.remaining() > 0) {
            if (r.remaining() < 4) throw OfError.BAD_MATCH_LEN.fail("match has " + r.remaining() + " stray bytes");
            Bits b = readEntry(r, OfError.BAD_FIELD);
            Entry e = b.entry;
            int bit = 2 * e.target.ordinal() + (e.kind == Kind.VLAN_PCP ? 1 : 0);
            if ((fields[bit >>> 6] & 1L << bit) != 0) throw OfError.DUP_FIELD.fail(e.name() + " appears twice");
            fields[bit >>> 6] |= 1L << bit;
            if (e.need != Need.NONE && (needSeen & 1 << e.need.ordinal()) == 0) {
                if (needing == null) needing = new Entry[NEEDS];
                needing[needs++] = e;
                needSeen |= 1 << e.need.ordinal();
            }
            if (e.kind == Kind.WIDE) {
                m.setWord(e.target.word, b.value, b.mask);
                m.setWord(e.target.word + 1, b.valueLo, b.maskLo);
            } else if (e.kind == Kind.VARIABLE) {
                m.setWord(e.target.word, b.value, b.mask);
                long p = e.target.presentBit();                // a match on the field needs the option (even /0)
                m.setWord(FlowKey.TUN_MISC, p, p);
            } else {
                m.setWord(e.target.word, b.value, b.mask);
            }
        }
        for (int i = 0; i < needs; i++) {
            Entry e = needing[i];
            if (!satisfied(m, e.need)) throw OfError.BAD_PREREQ.fail(e.name() + ": prerequisite " + e.need + " not met");
        }
        return m;
    }

    private static long exact(Match m, Field f) { return m.mask(f.word) == f.fullMask() ? f.get(m.value(f.word)) : -1; }

    static boolean satisfied(Match m, Need need) {
        long t = exact(m, Field.DL_TYPE), p = exact(m, Field.NW_PROTO);
        boolean ip4 = t == 0x0800, ip6 = t == 0x86dd, ip = ip4 || ip6, arp = t == 0x0806 || t == 0x8035;   // OVS's MFP_ARP: ARP or RARP
        return switch (need) {
            case NONE -> true;
            case IP4_ARP -> ip4 || arp;
            case IP_ARP -> ip || arp;
            case IP -> ip;
            case IP4 -> ip4;
            case IP6 -> ip6;
            case ARP -> arp;
            case TCP -> ip && p == 6;
            case UDP -> ip && p == 17;
            case SCTP -> ip && p == 132;
            case L4 -> ip && (p == 6 || p == 17 || p == 132);
            case ICMP4 -> ip4 && p == 1;
            case ICMP6 -> ip6 && p == 58;
            case VLAN -> (m.mask(FlowKey.VLAN_TCI) & m.value(FlowKey.VLAN_TCI) & FlowKey.VLAN_PRESENT) != 0;
        };
    }

    /**
     * Writes m's entries: nxm for OpenFlow 1.0's NXM (Nicira headers first), else OXM (OpenFlow basic headers
     * where they exist). Registers go as 32-bit NXM_NX_REGn, the layout dump-flows prints them in.
     */
    public static void encode(Match m, boolean nxm, Wire.Writer w) {
        long type = exact(m, Field.DL_TYPE), proto = exact(m, Field.NW_PROTO);
        boolean ip6 = type == 0x86dd;
        for (Field f : new Field[] {Field.IN_PORT, Field.DL_DST, Field.DL_SRC, Field.DL_TYPE}) put(m, f, nxm, w, type, proto);
        for (Field f : new Field[] {Field.TUN_ID, Field.TUN_SRC, Field.TUN_DST, Field.TUN_IPV6_SRC, Field.TUN_IPV6_DST, Field.TUN_FLAGS})
            put(m, f, nxm, w, type, proto);
        putTunMetadata(m, w);
        long tciMask = m.mask(FlowKey.VLAN_TCI);
        if (tciMask != 0) {
            if (nxm || !oxmVlan(m, w)) putPlain(entry(NXM0, 4), m.value(FlowKey.VLAN_TCI), tciMask, w);
        }
        for (Field f : new Field[] {Field.NW_PROTO, Field.NW_TOS, Field.NW_ECN, Field.NW_TTL, Field.NW_FRAG, Field.NW_SRC, Field.NW_DST,
                Field.TP_SRC, Field.TP_DST, Field.TCP_FLAGS, Field.METADATA, Field.PKT_MARK, Field.DP_HASH, Field.CONJ_ID}) {
            boolean arp = type == 0x0806 || type == 0x8035;
            if (f == Field.NW_SRC && arp) f = Field.ARP_SPA;
            if (f == Field.NW_DST && arp) f = Field.ARP_TPA;
            if (f == Field.NW_PROTO && arp) f = Field.ARP_OP;
            if ((f == Field.TP_SRC || f == Field.TP_DST) && arp) f = f == Field.TP_SRC ? Field.ARP_SHA : Field.ARP_THA;
            if ((f == Field.TP_SRC || f == Field.TP_DST) && (proto == 1 || proto == 58))
                f = f == Field.TP_SRC ? Field.ICMP_TYPE : Field.ICMP_CODE;
            if (ip6 && f == Field.NW_SRC) f = Field.ND_TARGET;           // an IPv6 match's NW_SRC/NW_DST words: nd_target
            if (ip6 && f == Field.NW_DST) continue;
            put(m, f, nxm, w, type, proto);
        }
        if (ip6 && proto == 58) {
            put(m, Field.ND_SLL, nxm, w, type, proto);
            put(m, Field.ND_TLL, nxm, w, type, proto);
        }
        for (int r = 0; r < 16; r++) put(m, Field.valueOf("REG" + r), nxm, w, type, proto);
        for (Field f : new Field[] {Field.CT_STATE, Field.CT_ZONE, Field.CT_MARK, Field.CT_LABEL, Field.CT_NW_PROTO, Field.CT_NW_SRC,
                Field.CT_NW_DST, Field.CT_IPV6_SRC, Field.CT_IPV6_DST, Field.CT_TP_SRC, Field.CT_TP_DST}) put(m, f, nxm, w, type, proto);
        if (ip6) {
            put(m, Field.IPV6_SRC, nxm, w, type, proto);
            put(m, Field.IPV6_DST, nxm, w, type, proto);
        } else if (m.mask(FlowKey.IPV6_SRC_HI) != 0 || m.mask(FlowKey.IPV6_SRC_LO) != 0) {
            put(m, Field.IPV6_SRC, nxm, w, type, proto);
        }
    }

    /** tun_metadataN the match needs present (any mask, /0 too), at the mapped length (OVS's tun_metadata_to_nx_match). */
    private static void putTunMetadata(Match m, Wire.Writer w) {
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++) {
            Entry e = entry(NXM1, TUN_METADATA_FIELD + n);
            long k = m.mask(e.target.word), p = e.target.presentBit();
            if (k == 0 && (m.mask(FlowKey.TUN_MISC) & m.value(FlowKey.TUN_MISC) & p) == 0) continue;
            writeVariable(w, e, m.value(e.target.word), k);
        }
    }

    private static boolean oxmVlan(Match m, Wire.Writer w) {
        long v = m.value(FlowKey.VLAN_TCI), k = m.mask(FlowKey.VLAN_TCI);
        long pcpMask = k & 0xe000;
        if (pcpMask != 0 && pcpMask != 0xe000) return false;
        long vid = k & 0x1fff;
        if (pcpMask != 0 && (k & v & FlowKey.VLAN_PRESENT) == 0) return false;
        if (vid != 0 && !(pcpMask != 0 && vid == FlowKey.VLAN_PRESENT)) putPlain(entry(BASIC, 6), v & 0x1fff, vid, w);
        else if (pcpMask == 0) return false;
        if (pcpMask != 0) {
            if (vid == FlowKey.VLAN_PRESENT) putPlain(entry(BASIC, 6), FlowKey.VLAN_PRESENT, FlowKey.VLAN_PRESENT, w);
            putPlain(entry(BASIC, 7), (v >>> 13) & 7, 7, w);
        }
        return true;
    }

    private static void put(Match m, Field f, boolean nxm, Wire.Writer w, long type, long proto) {
        if (f.words() == 2) {
            int wd = f.word;
            if (m.mask(wd) == 0 && m.mask(wd + 1) == 0) return;
            Entry e = pick(f, nxm, type, proto);
            boolean masked = m.mask(wd) != -1L || m.mask(wd + 1) != -1L;
            w.u32(e.header(masked)).u64(m.value(wd)).u64(m.value(wd + 1));
            if (masked) w.u64(m.mask(wd)).u64(m.mask(wd + 1));
            return;
        }
        long k = f.get(m.mask(f.word));
        if (k == 0) return;
        Entry e = pick(f, nxm, type, proto);
        long v = f.get(m.value(f.word));
        if (e.kind == Kind.DSCP) { v >>>= 2; k >>>= 2; }
        if (e.kind == Kind.IN_PORT32) v = Ports.to32(v);
        putPlain(e, v, e.kind == Kind.IN_PORT32 ? 0xffffffffL : k, w);
    }

    private static void putPlain(Entry e, long v, long k, Wire.Writer w) {
        long all = switch (e.kind) {
            case VLAN_VID -> 0x1fff;
            case VLAN_PCP -> 7;
            case DSCP -> 0x3f;
            case SMALL -> e.target.fieldMask();
            default -> e.wire == 8 ? -1L : (1L << 8 * e.wire) - 1;
        };
        boolean masked = k != all && (e.wire == 8 || k != (1L << 8 * e.wire) - 1);
        w.u32(e.header(masked)).uN(v, e.wire);
        if (masked) w.uN(k, e.wire);
    }

    /** The header for f: NXM's own where it has one (for NXM), OXM basic where that exists (for OXM). */
    private static Entry pick(Field f, boolean nxm, long type, long proto) {
        Entry best = null;
        for (Entry e : ENTRIES) {
            if (e.target != f || e.kind == Kind.VLAN_PCP || e.kind == Kind.VLAN_VID) continue;
            if (e.need == Need.UDP && proto != 17 || e.need == Need.TCP && proto != 6 && f != Field.TCP_FLAGS || e.need == Need.SCTP && proto != 132) continue;
            if (e.need == Need.ICMP6 && type != 0x86dd || e.need == Need.ICMP4 && type == 0x86dd) continue;
            boolean basic = e.cls == BASIC || e.cls == PKT_REGS;
            if (f == Field.TCP_FLAGS && basic) continue;          // OXM's tcp_flags is 1.5 only; NXM's works everywhere
            if (best == null || (nxm ? !basic && (best.cls == BASIC || best.cls == PKT_REGS) : basic && best.cls < BASIC)) best = e;
        }
        if (best == null) throw new IllegalStateException("no header for " + f);
        return best;
    }
}
