package io.xvio.datapath;

import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.ActionArgs;
import io.xvio.datapath.action.ActionSyntax;
import io.xvio.datapath.action.Conjunction;
import io.xvio.datapath.action.GotoTable;
import io.xvio.datapath.action.PushVlan;
import io.xvio.datapath.action.SetField;
import io.xvio.datapath.action.StripVlan;
import io.xvio.datapath.action.Subfield;
import io.xvio.datapath.action.WriteMetadata;

import io.xvio.packet.FlowKey;

import java.math.BigInteger;
import java.util.*;

import static io.xvio.datapath.Field.*;

/**
 * Parses flows in the syntax of {@code ovs-ofctl add-flow} (ovs-ofctl(8), ovs-fields(7), ovs-actions(7)): match
 * fields, shorthands and flow attributes separated by commas or white space, then {@code actions=} and a list of
 * actions separated by commas. Keywords are case-insensitive. Field prerequisites are enforced as OVS does
 * (e.g. {@code nw_src} needs {@code ip} or {@code arp}, {@code tp_dst} needs {@code tcp}, {@code udp} or
 * {@code sctp}), whatever order the fields are written in; two fields that contradict each other on the same
 * bits are an error rather than "last one wins". Every error is a {@link FlowSyntaxException} naming the
 * offending token and its 0-based position; a bad flow never yields a partial flow.
 *
 * <p>Also accepted: the output of {@code dump-flows} (its {@code duration}, {@code n_packets}, {@code n_bytes},
 * {@code idle_age} and {@code hard_age} are ignored, as ovs-ofctl does), {@code key:value} for {@code key=value}
 * in matches, {@code action(arg)} for {@code action:arg}, NXM/OXM field names in {@code load} and {@code move}
 * ({@code NXM_NX_REG0[0..15]}), and the aliases {@code eth_src}, {@code ip_src}, {@code tcp_dst},
 * {@code icmpv4_type}, {@code vlan_vid}, ... An empty action list means drop, as in ovs-ofctl.
 */
public final class FlowParser {
    private FlowParser() {}

    /** What must be matched exactly before a field may be matched or set. */
    enum Need { NONE, IPV4_OR_ARP, IP_OR_ARP, IP, IPV4, IPV6, ARP, L4, TCP, UDP, SCTP, ICMP, ICMPV4, ICMPV6,
        /** OVS's MFP_ND, MFP_ND_SOLICIT, MFP_ND_ADVERT: icmp6 with icmp_type 135 or 136 (only 135, only 136), code 0. */
        ND, ND_SOLICIT, ND_ADVERT,
        /** A tracked, valid connection (ct_state matches one of new/est/rel/rpl/snat/dnat, or +trk-inv): ct_nw_* etc. */
        CT }

    /** How a field name's value maps onto the key (most map 1:1 onto a {@link Field}). */
    enum Kind { PLAIN, DL_VLAN, VLAN_PCP, VLAN_VID, IP_DSCP, NW_TOS, NW_FRAG, TCP_FLAGS, CT_STATE, TUN_FLAGS }

    record Def(String name, Field field, Need need, Kind kind, boolean maskable) {}

    /** Match and set_field names. */
    private static final Map<String, Def> FIELDS = new HashMap<>();
    /** Names usable as load/move subfields (fields that are one {@link Field}, plus NXM/OXM names). */
    private static final Map<String, Def> SUBFIELDS = new HashMap<>();
    /** Fields the datapath can rewrite (set_field, load, move destinations). */
    private static final Set<Field> SETTABLE = EnumSet.of(DL_SRC, DL_DST, VLAN_TCI, NW_SRC, NW_DST, ARP_OP, ARP_SPA, ARP_TPA, ARP_SHA, ARP_THA, ICMP_TYPE, ICMP_CODE,
            ND_TARGET, ND_SLL, ND_TLL, TP_SRC, TP_DST, NW_TOS, NW_TTL, IPV6_SRC, IPV6_DST, METADATA, PKT_MARK);
    static {   // in_port: the key's only (OVN saves it, zeroes it so output may go back where the packet came from, restores it)
        SETTABLE.add(IN_PORT);
    }
    static {
        for (Field f : Field.values()) if (f.name().matches("X{0,2}REG\\d+")) SETTABLE.add(f);
    }
    static {   // tunnel fields (issue 16): set_field writes what an encapsulation with remote_ip=flow/key=flow reads
        SETTABLE.addAll(EnumSet.of(TUN_ID, TUN_SRC, TUN_DST, TUN_IPV6_SRC, TUN_IPV6_DST));
        // tun_metadataN: a Geneve port sends the mapped, present ones as options (GeneveOptionWriter)
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++) SETTABLE.add(Field.valueOf("TUN_METADATA" + n));
    }

    private static void def(String name, Field f, Need need, Kind kind, boolean maskable) {
        Def d = new Def(name, f, need, kind, maskable);
        FIELDS.put(name, d);
        if (kind == Kind.PLAIN || kind == Kind.NW_TOS || kind == Kind.NW_FRAG || kind == Kind.TCP_FLAGS || kind == Kind.CT_STATE || kind == Kind.TUN_FLAGS)
            SUBFIELDS.put(name, new Def(name, f, need, Kind.PLAIN, true));
    }

    private static void nxm(String name, Field f, Need need) {
        SUBFIELDS.put(name.toLowerCase(Locale.ROOT), new Def(name, f, need, Kind.PLAIN, true));
        NXM_NAMES.putIfAbsent(f, name);
    }

    /** Each field's first NXM/OXM name (NXM before OXM, as OVS's mf_format_subfield picks them). */
    private static final Map<Field, String> NXM_NAMES = new java.util.EnumMap<>(Field.class);

    /** The NXM (else OXM) name OVS prints for field f in a subfield (learn), or its ovs-fields name if it has none. */
    public static String nxmName(Field f) { return NXM_NAMES.getOrDefault(f, f.ofName); }

    static {
        def("in_port", IN_PORT, Need.NONE, Kind.PLAIN, false);
        def("metadata", METADATA, Need.NONE, Kind.PLAIN, true);
        for (int r = 0; r < 16; r++) def("reg" + r, Field.valueOf("REG" + r), Need.NONE, Kind.PLAIN, true);
        for (int r = 0; r < 8; r++) def("xreg" + r, Field.valueOf("XREG" + r), Need.NONE, Kind.PLAIN, true);
        for (int r = 0; r < 4; r++) def("xxreg" + r, Field.valueOf("XXREG" + r), Need.NONE, Kind.PLAIN, true);
        def("pkt_mark", PKT_MARK, Need.NONE, Kind.PLAIN, true);
        def("conj_id", CONJ_ID, Need.NONE, Kind.PLAIN, false);
        for (String n : List.of("dl_src", "eth_src")) def(n, DL_SRC, Need.NONE, Kind.PLAIN, true);
        for (String n : List.of("dl_dst", "eth_dst")) def(n, DL_DST, Need.NONE, Kind.PLAIN, true);
        for (String n : List.of("dl_type", "eth_type")) def(n, DL_TYPE, Need.NONE, Kind.PLAIN, false);
        def("vlan_tci", VLAN_TCI, Need.NONE, Kind.PLAIN, true);
        def("dl_vlan", VLAN_TCI, Need.NONE, Kind.DL_VLAN, false);
        def("dl_vlan_pcp", VLAN_TCI, Need.NONE, Kind.VLAN_PCP, false);
        def("vlan_pcp", VLAN_TCI, Need.NONE, Kind.VLAN_PCP, false);
        def("vlan_vid", VLAN_TCI, Need.NONE, Kind.VLAN_VID, true);
        def("nw_src", NW_SRC, Need.IPV4_OR_ARP, Kind.PLAIN, true);
        def("nw_dst", NW_DST, Need.IPV4_OR_ARP, Kind.PLAIN, true);
        for (String n : List.of("ip_src", "ipv4_src")) def(n, NW_SRC, Need.IPV4, Kind.PLAIN, true);
        for (String n : List.of("ip_dst", "ipv4_dst")) def(n, NW_DST, Need.IPV4, Kind.PLAIN, true);
        def("nw_proto", NW_PROTO, Need.IP_OR_ARP, Kind.PLAIN, false);
        def("ip_proto", NW_PROTO, Need.IP, Kind.PLAIN, false);
        def("nw_tos", NW_TOS, Need.IP, Kind.NW_TOS, false);
        def("ip_dscp", NW_TOS, Need.IP, Kind.IP_DSCP, false);
        for (String n : List.of("nw_ecn", "ip_ecn")) def(n, NW_ECN, Need.IP, Kind.PLAIN, false);
        for (String n : List.of("nw_ttl", "ip_ttl")) def(n, NW_TTL, Need.IP, Kind.PLAIN, false);
        for (String n : List.of("nw_frag", "ip_frag")) def(n, NW_FRAG, Need.IP, Kind.NW_FRAG, true);
        def("tp_src", TP_SRC, Need.L4, Kind.PLAIN, true);
        def("tp_dst", TP_DST, Need.L4, Kind.PLAIN, true);
        def("tcp_src", TP_SRC, Need.TCP, Kind.PLAIN, true);
        def("tcp_dst", TP_DST, Need.TCP, Kind.PLAIN, true);
        def("udp_src", TP_SRC, Need.UDP, Kind.PLAIN, true);
        def("udp_dst", TP_DST, Need.UDP, Kind.PLAIN, true);
        def("sctp_src", TP_SRC, Need.SCTP, Kind.PLAIN, true);
        def("sctp_dst", TP_DST, Need.SCTP, Kind.PLAIN, true);
        def("icmp_type", ICMP_TYPE, Need.ICMP, Kind.PLAIN, false);
        def("icmp_code", ICMP_CODE, Need.ICMP, Kind.PLAIN, false);
        def("icmpv4_type", ICMP_TYPE, Need.ICMPV4, Kind.PLAIN, false);
        def("icmpv4_code", ICMP_CODE, Need.ICMPV4, Kind.PLAIN, false);
        def("icmpv6_type", ICMP_TYPE, Need.ICMPV6, Kind.PLAIN, false);
        def("icmpv6_code", ICMP_CODE, Need.ICMPV6, Kind.PLAIN, false);
        def("arp_op", ARP_OP, Need.ARP, Kind.PLAIN, false);
        def("arp_spa", ARP_SPA, Need.ARP, Kind.PLAIN, true);
        def("arp_tpa", ARP_TPA, Need.ARP, Kind.PLAIN, true);
        def("nd_target", ND_TARGET, Need.ICMPV6, Kind.PLAIN, true);
        def("nd_sll", ND_SLL, Need.ICMPV6, Kind.PLAIN, true);
        def("nd_tll", ND_TLL, Need.ICMPV6, Kind.PLAIN, true);
        def("arp_sha", ARP_SHA, Need.ARP, Kind.PLAIN, true);
        def("arp_tha", ARP_THA, Need.ARP, Kind.PLAIN, true);
        def("ipv6_src", IPV6_SRC, Need.IPV6, Kind.PLAIN, true);
        def("ipv6_dst", IPV6_DST, Need.IPV6, Kind.PLAIN, true);
        def("tcp_flags", TCP_FLAGS, Need.TCP, Kind.TCP_FLAGS, true);
        for (String n : List.of("tun_id", "tunnel_id")) def(n, TUN_ID, Need.NONE, Kind.PLAIN, true);
        def("tun_src", TUN_SRC, Need.NONE, Kind.PLAIN, true);
        def("tun_dst", TUN_DST, Need.NONE, Kind.PLAIN, true);
        def("tun_ipv6_src", TUN_IPV6_SRC, Need.NONE, Kind.PLAIN, true);
        def("tun_ipv6_dst", TUN_IPV6_DST, Need.NONE, Kind.PLAIN, true);
        def("tun_flags", TUN_FLAGS, Need.NONE, Kind.TUN_FLAGS, true);      // oam, +oam, -oam or a number (0, 1)
        def("tun_tos", TUN_TOS, Need.NONE, Kind.PLAIN, false);
        def("tun_ttl", TUN_TTL, Need.NONE, Kind.PLAIN, false);
        def("tun_tp_src", TUN_TP_SRC, Need.NONE, Kind.PLAIN, true);
        def("tun_tp_dst", TUN_TP_DST, Need.NONE, Kind.PLAIN, true);
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++) def("tun_metadata" + n, Field.valueOf("TUN_METADATA" + n), Need.NONE, Kind.PLAIN, true);
        def("ct_state", CT_STATE, Need.NONE, Kind.CT_STATE, true);
        def("ct_zone", CT_ZONE, Need.NONE, Kind.PLAIN, false);
        def("ct_mark", CT_MARK, Need.NONE, Kind.PLAIN, true);
        def("ct_label", CT_LABEL, Need.NONE, Kind.PLAIN, true);
        def("ct_nw_proto", CT_NW_PROTO, Need.CT, Kind.PLAIN, false);
        def("ct_nw_src", CT_NW_SRC, Need.CT, Kind.PLAIN, true);
        def("ct_nw_dst", CT_NW_DST, Need.CT, Kind.PLAIN, true);
        def("ct_ipv6_src", CT_IPV6_SRC, Need.CT, Kind.PLAIN, true);
        def("ct_ipv6_dst", CT_IPV6_DST, Need.CT, Kind.PLAIN, true);
        def("ct_tp_src", CT_TP_SRC, Need.CT, Kind.PLAIN, true);
        def("ct_tp_dst", CT_TP_DST, Need.CT, Kind.PLAIN, true);

        nxm("NXM_OF_IN_PORT", IN_PORT, Need.NONE);
        nxm("NXM_OF_ETH_DST", DL_DST, Need.NONE);
        nxm("NXM_OF_ETH_SRC", DL_SRC, Need.NONE);
        nxm("NXM_OF_ETH_TYPE", DL_TYPE, Need.NONE);
        nxm("NXM_OF_VLAN_TCI", VLAN_TCI, Need.NONE);
        nxm("NXM_OF_IP_TOS", NW_TOS, Need.IP);
        nxm("NXM_OF_IP_PROTO", NW_PROTO, Need.IP_OR_ARP);
        nxm("NXM_OF_IP_SRC", NW_SRC, Need.IPV4);
        nxm("NXM_OF_IP_DST", NW_DST, Need.IPV4);
        nxm("NXM_OF_TCP_SRC", TP_SRC, Need.TCP);
        nxm("NXM_OF_TCP_DST", TP_DST, Need.TCP);
        nxm("NXM_OF_UDP_SRC", TP_SRC, Need.UDP);
        nxm("NXM_OF_UDP_DST", TP_DST, Need.UDP);
        nxm("NXM_OF_ICMP_TYPE", ICMP_TYPE, Need.ICMPV4);
        nxm("NXM_OF_ICMP_CODE", ICMP_CODE, Need.ICMPV4);
        nxm("NXM_OF_ARP_OP", ARP_OP, Need.ARP);
        nxm("NXM_OF_ARP_SPA", ARP_SPA, Need.ARP);
        nxm("NXM_OF_ARP_TPA", ARP_TPA, Need.ARP);
        nxm("NXM_NX_ND_TARGET", ND_TARGET, Need.ICMPV6);
        nxm("NXM_NX_ND_SLL", ND_SLL, Need.ICMPV6);
        nxm("NXM_NX_ND_TLL", ND_TLL, Need.ICMPV6);
        nxm("OXM_OF_IPV6_ND_TARGET", ND_TARGET, Need.ICMPV6);
        nxm("OXM_OF_IPV6_ND_SLL", ND_SLL, Need.ICMPV6);
        nxm("OXM_OF_IPV6_ND_TLL", ND_TLL, Need.ICMPV6);
        nxm("NXM_NX_ARP_SHA", ARP_SHA, Need.ARP);
        nxm("NXM_NX_ARP_THA", ARP_THA, Need.ARP);
        for (int r = 0; r < 16; r++) nxm("NXM_NX_REG" + r, Field.valueOf("REG" + r), Need.NONE);
        for (int r = 0; r < 8; r++) nxm("OXM_OF_PKT_REG" + r, Field.valueOf("XREG" + r), Need.NONE);
        for (int r = 0; r < 4; r++) nxm("NXM_NX_XXREG" + r, Field.valueOf("XXREG" + r), Need.NONE);
        nxm("NXM_NX_PKT_MARK", PKT_MARK, Need.NONE);
        nxm("NXM_NX_TUN_ID", TUN_ID, Need.NONE);
        nxm("NXM_NX_TUN_IPV4_SRC", TUN_SRC, Need.NONE);
        nxm("NXM_NX_TUN_IPV4_DST", TUN_DST, Need.NONE);
        nxm("NXM_NX_TUN_IPV6_SRC", TUN_IPV6_SRC, Need.NONE);
        nxm("NXM_NX_TUN_IPV6_DST", TUN_IPV6_DST, Need.NONE);
        // parsed as ovs-ofctl prints OVN's flows (move:NXM_NX_TUN_METADATA0[16..30]->...); shown as tun_metadataN, which OVS parses too
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++)
            SUBFIELDS.put("nxm_nx_tun_metadata" + n, new Def("NXM_NX_TUN_METADATA" + n, Field.valueOf("TUN_METADATA" + n), Need.NONE, Kind.PLAIN, true));
        nxm("NXM_NX_IPV6_SRC", IPV6_SRC, Need.IPV6);
        nxm("NXM_NX_IPV6_DST", IPV6_DST, Need.IPV6);
        nxm("NXM_NX_IP_ECN", NW_ECN, Need.IP);
        nxm("NXM_NX_IP_TTL", NW_TTL, Need.IP);
        nxm("NXM_NX_IP_FRAG", NW_FRAG, Need.IP);
        nxm("NXM_NX_TCP_FLAGS", TCP_FLAGS, Need.TCP);
        nxm("NXM_NX_CT_STATE", CT_STATE, Need.NONE);
        nxm("NXM_NX_CT_ZONE", CT_ZONE, Need.NONE);
        nxm("NXM_NX_CT_MARK", CT_MARK, Need.NONE);
        nxm("NXM_NX_CT_LABEL", CT_LABEL, Need.NONE);
        nxm("NXM_NX_CT_NW_PROTO", CT_NW_PROTO, Need.CT);
        nxm("NXM_NX_CT_NW_SRC", CT_NW_SRC, Need.CT);
        nxm("NXM_NX_CT_NW_DST", CT_NW_DST, Need.CT);
        nxm("NXM_NX_CT_IPV6_SRC", CT_IPV6_SRC, Need.CT);
        nxm("NXM_NX_CT_IPV6_DST", CT_IPV6_DST, Need.CT);
        nxm("NXM_NX_CT_TP_SRC", CT_TP_SRC, Need.CT);
        nxm("NXM_NX_CT_TP_DST", CT_TP_DST, Need.CT);
        nxm("NXM_NX_ICMPV6_TYPE", ICMP_TYPE, Need.ICMPV6);
        nxm("NXM_NX_ICMPV6_CODE", ICMP_CODE, Need.ICMPV6);
        nxm("OXM_OF_METADATA", METADATA, Need.NONE);
        nxm("OXM_OF_ETH_DST", DL_DST, Need.NONE);
        nxm("OXM_OF_ETH_SRC", DL_SRC, Need.NONE);
        nxm("OXM_OF_ETH_TYPE", DL_TYPE, Need.NONE);
        nxm("OXM_OF_IP_PROTO", NW_PROTO, Need.IP);
        nxm("OXM_OF_IPV4_SRC", NW_SRC, Need.IPV4);
        nxm("OXM_OF_IPV4_DST", NW_DST, Need.IPV4);
        nxm("OXM_OF_TCP_SRC", TP_SRC, Need.TCP);
        nxm("OXM_OF_TCP_DST", TP_DST, Need.TCP);
        nxm("OXM_OF_UDP_SRC", TP_SRC, Need.UDP);
        nxm("OXM_OF_UDP_DST", TP_DST, Need.UDP);
        nxm("OXM_OF_SCTP_SRC", TP_SRC, Need.SCTP);
        nxm("OXM_OF_SCTP_DST", TP_DST, Need.SCTP);
        nxm("OXM_OF_ICMPV4_TYPE", ICMP_TYPE, Need.ICMPV4);
        nxm("OXM_OF_ICMPV4_CODE", ICMP_CODE, Need.ICMPV4);
        nxm("OXM_OF_ICMPV6_TYPE", ICMP_TYPE, Need.ICMPV6);
        nxm("OXM_OF_ICMPV6_CODE", ICMP_CODE, Need.ICMPV6);
        nxm("OXM_OF_ARP_OP", ARP_OP, Need.ARP);
        nxm("OXM_OF_ARP_SPA", ARP_SPA, Need.ARP);
        nxm("OXM_OF_ARP_TPA", ARP_TPA, Need.ARP);
        nxm("OXM_OF_ARP_SHA", ARP_SHA, Need.ARP);
        nxm("OXM_OF_ARP_THA", ARP_THA, Need.ARP);
        nxm("OXM_OF_IPV6_SRC", IPV6_SRC, Need.IPV6);
        nxm("OXM_OF_IPV6_DST", IPV6_DST, Need.IPV6);
    }

    /** Shorthands: name, dl_type, nw_proto (-1: none). */
    private static final Map<String, int[]> SHORTHANDS = Map.ofEntries(
            Map.entry("ip", new int[] {0x0800, -1}), Map.entry("ipv6", new int[] {0x86dd, -1}),
            Map.entry("arp", new int[] {0x0806, -1}), Map.entry("rarp", new int[] {0x8035, -1}), Map.entry("icmp", new int[] {0x0800, 1}),
            Map.entry("tcp", new int[] {0x0800, 6}), Map.entry("udp", new int[] {0x0800, 17}),
            Map.entry("sctp", new int[] {0x0800, 132}), Map.entry("icmp6", new int[] {0x86dd, 58}),
            Map.entry("tcp6", new int[] {0x86dd, 6}), Map.entry("udp6", new int[] {0x86dd, 17}),
            Map.entry("sctp6", new int[] {0x86dd, 132}));

    /** dump-flows statistics that ovs-ofctl ignores when they are fed back in. */
    private static final Set<String> IGNORED = Set.of("duration", "n_packets", "n_bytes", "idle_age", "hard_age");

    /** tun_flags' one flag OVS lets flows match (FLOW_TNL_PUB_F_MASK). */
    static final String[] TUN_FLAG_NAMES = {"oam"};
    static final String[] TCP_FLAG_NAMES = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"};
    /** ct_state flags by bit (OVS's CS_* values: new 0x01 ... dnat 0x80). */
    static final String[] CT_STATE_NAMES = {"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"};
    /** nw_frag names, as OVS's table: the first entry with a name is what parsing gives. */
    static final String[] FRAG_NAMES = {"no", "first", "later", "yes", "not_later"};
    static final int[][] FRAG_VALUES = {{3, 0}, {3, 1}, {3, 3}, {1, 1}, {2, 0}};   // {mask, value}

    // ------------------------------------------------------------------------------------------ entry points

    /** Parses an add-flow flow: match, attributes and actions ({@code actions=} is required). */
    public static Flow parse(String text) {
        Parsed p = new Parser(text, false, false).run();
        return new Flow(p.table < 0 ? 0 : p.table, p.priority, p.cookie, p.match, p.actions, p.idle, p.hard, p.text.strip());
    }

    /**
     * Parses a flow selection for del-flows, mod-flows or dump-flows: a match with optional {@code table=},
     * {@code priority=} (what --strict compares; 32768 by default), {@code cookie=V/M} ({@code cookie=V}: all
     * bits), {@code out_port=} and, for mod-flows, {@code actions=} and the flag {@code reset_counts}. Timeouts
     * are accepted and ignored, so a dump-flows line can be fed back in.
     */
    public static FlowSpec parseSpec(String text, boolean strict) {
        Parsed p = new Parser(text, true, strict).run();
        return new FlowSpec(p.table, p.priority, p.cookie, p.cookieMask, p.match, p.outPort, strict, p.actions, p.text.strip(),
                p.resetCounts);
    }

    /**
     * Parses an action list alone (a group bucket's actions): the same syntax as after {@code actions=}; an empty
     * text is no actions. No match precedes it, so actions that need a VLAN tag must follow one that pushes it.
     */
    public static List<Action> parseActionList(String text) {
        Parser p = new Parser(text, false, false);
        p.bucket = true;
        return p.actions(0);
    }

    private record Parsed(String text, int table, int priority, long cookie, long cookieMask, Match match,
                          List<Action> actions, int idle, int hard, int outPort, boolean resetCounts) {}

    // ------------------------------------------------------------------------------------------ the parser

    private static boolean isDelim(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

    private static String lower(String s) { return s.toLowerCase(Locale.ROOT); }

    private static final class Parser {
        final String text;
        final boolean spec, strict;
        final long[] value = new long[FlowKey.WORDS], mask = new long[FlowKey.WORDS];
        /** Fields used, for the prerequisite check after the whole match is read. */
        final List<Object[]> uses = new ArrayList<>();   // {Need, name, position}
        final Set<String> attrs = new HashSet<>();
        int table = -1, priority = Flow.DEFAULT_PRIORITY, idle, hard, outPort = -1;
        long cookie, cookieMask;
        boolean resetCounts;
        /** Parsing ct(exec(...)): ct_mark and ct_label may be set. */
        boolean ctExec;
        /** Parsing a group bucket's actions: there is no match (OVS checks no prerequisites of bucket actions). */
        boolean bucket;

        Parser(String text, boolean spec, boolean strict) {
            this.text = text == null ? "" : text;
            this.spec = spec;
            this.strict = strict;
        }

        FlowSyntaxException err(int pos, String msg) {
            return new FlowSyntaxException(text, Math.max(0, Math.min(pos, text.length())), msg);
        }

        Parsed run() {
            int n = text.length();
            int actTok = -1, actVal = -1;
            for (int i = 0; i < n; i++) {
                if (i > 0 && !isDelim(text.charAt(i - 1))) continue;
                if (text.regionMatches(true, i, "actions=", 0, 8)) { actTok = i; actVal = i + 8; break; }
                if (text.regionMatches(true, i, "action=", 0, 7)) { actTok = i; actVal = i + 7; break; }
            }
            matchPart(actTok < 0 ? n : actTok);
            if (actTok < 0 && !spec) throw err(n, "missing \"actions=\" (write \"actions=drop\" to drop)");
            checkPrereqs();
            Match m = new Match();
            for (int w = 0; w < FlowKey.WORDS; w++) if (mask[w] != 0) m.setWord(w, value[w], mask[w]);
            List<Action> actions = actTok < 0 ? null : actions(actVal);
            return new Parsed(text, table, priority, cookie, cookieMask, m, actions, idle, hard, outPort, resetCounts);
        }

        // -------------------------------------------------------------------------------------- match

        void matchPart(int end) {
            int i = 0;
            while (i < end) {
                if (isDelim(text.charAt(i))) { i++; continue; }
                int s = i;
                while (i < end && !isDelim(text.charAt(i))) i++;
                String tok = text.substring(s, i);
                int sep = -1;
                for (int k = 0; k < tok.length(); k++) if (tok.charAt(k) == '=' || tok.charAt(k) == ':') { sep = k; break; }
                String key = sep < 0 ? tok : tok.substring(0, sep);
                String val = sep < 0 ? null : tok.substring(sep + 1);
                int vpos = s + sep + 1;
                if (key.isEmpty()) throw err(s, "missing field name before \"" + tok + "\"");
                String k = lower(key);
                if (IGNORED.contains(k)) continue;
                if (k.equals("reset_counts") && val == null) {
                    if (!spec) throw err(s, "\"reset_counts\" is for mod-flows (a flow that add-flow replaces always starts from zero)");
                    resetCounts = true;
                    continue;
                }
                if (k.equals("actions") || k.equals("action")) throw err(s, "\"" + tok + "\": write \"actions=\" followed by the actions");
                int[] sh = SHORTHANDS.get(k);
                if (sh != null) {
                    if (val != null) throw err(s, "\"" + key + "\" is a shorthand and takes no value (\"" + tok + "\")");
                    set(DL_TYPE.word, sh[0], 0xffff, key, s);
                    if (sh[1] >= 0) set(NW_PROTO.word, sh[1], 0xff, key, s);
                    continue;
                }
                Def d = FIELDS.get(k);
                if (d == null && !isAttribute(k))
                    throw err(s, "unknown field \"" + key + "\"" + (val == null ? "" : " in \"" + tok + "\""));
                if (val == null) throw err(s, "\"" + key + "\" needs a value (\"" + key + "=...\")");
                if (val.isEmpty()) throw err(vpos, "\"" + key + "\" needs a value (\"" + key + "=...\")");
                if (d == null) attribute(k, key, val, s, vpos);
                else field(d, key, val, s, vpos);
            }
        }

        boolean isAttribute(String k) {
            return switch (k) {
                case "table", "priority", "cookie", "idle_timeout", "hard_timeout", "out_port" -> true;
                default -> false;
            };
        }

        void attribute(String k, String key, String val, int s, int vpos) {
            if (!attrs.add(k)) throw err(s, "\"" + key + "\" is given twice");
            switch (k) {
                case "table" -> {
                    int t = intIn(val, vpos, 0, spec ? 255 : Flow.TABLES - 1, "table");
                    table = t == 255 ? FlowSpec.ALL_TABLES : t;
                }
                case "priority" -> priority = intIn(val, vpos, 0, 65535, "priority");
                case "idle_timeout" -> idle = intIn(val, vpos, 0, 65535, "idle_timeout");
                case "hard_timeout" -> hard = intIn(val, vpos, 0, 65535, "hard_timeout");
                case "out_port" -> {
                    if (!spec) throw err(s, "\"out_port\" selects flows: it is for del-flows and dump-flows, not add-flow");
                    outPort = intIn(val, vpos, 0, 0xffff, "out_port");
                }
                case "cookie" -> {
                    int slash = val.indexOf('/');
                    if (slash < 0) {
                        cookie = unsigned(val, vpos, 64, "cookie");
                        cookieMask = -1L;
                    } else {
                        if (!spec) throw err(vpos + slash, "a flow addition cannot use a cookie mask (\"" + val + "\")");
                        long m = unsigned(val.substring(slash + 1), vpos + slash + 1, 64, "cookie mask");
                        cookie = unsigned(val.substring(0, slash), vpos, 64, "cookie") & m;
                        cookieMask = m;
                    }
                }
                default -> throw new IllegalStateException(k);
            }
        }

        /** Adds bits to the match; returns whether any bit is matched (a /0 mask matches none). */
        boolean set(int w, long v, long m, String name, int pos) {
            v &= m;
            if ((mask[w] & m & (value[w] ^ v)) != 0)
                throw err(pos, "\"" + name + "\" contradicts an earlier field of this match");
            mask[w] |= m;
            value[w] |= v;
            return m != 0;
        }

        void field(Def d, String key, String val, int s, int vpos) {
            Field f = d.field();
            int slash = val.indexOf('/');
            if (slash >= 0 && !d.maskable())
                throw err(vpos + slash, "\"" + key + "\" cannot be masked (\"" + val + "\")");
            boolean used = switch (d.kind()) {
                case DL_VLAN -> {
                    long v = unsigned(val, vpos, 16, key);
                    if (v == 0xffff) yield set(VLAN_TCI.word, 0, 0xffff, key, s);
                    if (v > 0xfff) throw err(vpos, "dl_vlan " + v + " is outside 0..4095 (0xffff: untagged)");
                    yield set(VLAN_TCI.word, v | FlowKey.VLAN_PRESENT, 0xfff | FlowKey.VLAN_PRESENT, key, s);
                }
                case VLAN_PCP -> {
                    long p = intIn(val, vpos, 0, 7, key);
                    yield set(VLAN_TCI.word, (p << 13) | FlowKey.VLAN_PRESENT, 0xe000 | FlowKey.VLAN_PRESENT, key, s);
                }
                case VLAN_VID -> {
                    long[] vm = valueMask(val, vpos, 13, key);
                    yield set(VLAN_TCI.word, vm[0], vm[1], key, s);
                }
                case IP_DSCP -> set(NW_TOS.word, (long) intIn(val, vpos, 0, 63, key) << 2, 0xff, key, s);
                case NW_TOS -> set(NW_TOS.word, tos(val, vpos, key), 0xff, key, s);
                case NW_FRAG -> {
                    long[] vm = frag(val, vpos, key);
                    yield set(NW_FRAG.word, vm[0], vm[1], key, s);
                }
                case TCP_FLAGS -> {
                    long[] vm = flags(val, vpos, key, TCP_FLAG_NAMES, 12, "TCP flag");
                    yield set(TCP_FLAGS.word, vm[0], vm[1], key, s);
                }
                case TUN_FLAGS -> {
                    char c0 = val.isEmpty() ? ' ' : val.charAt(0);
                    long[] vm = c0 >= '0' && c0 <= '9' ? tunFlagsNumber(val, vpos, key) : flags(val, vpos, key, TUN_FLAG_NAMES, 1, "tunnel flag");
                    yield set(TUN_FLAGS.word, TUN_FLAGS.put(vm[0]), TUN_FLAGS.put(vm[1]), key, s);
                }
                case CT_STATE -> {
                    long[] vm = flags(val, vpos, key, CT_STATE_NAMES, 8, "ct_state flag");
                    yield set(CT_STATE.word, CT_STATE.put(vm[0]), CT_STATE.put(vm[1]), key, s);
                }
                case PLAIN -> {
                    if (f.words() == 2) {
                        long[] a = f.format == Field.Format.IPV6 ? ipv6Masked(val, vpos, key) : masked128(val, vpos, key);
                        boolean hi = set(f.word, a[0], a[2], key, s);
                        yield set(f.word + 1, a[1], a[3], key, s) | hi;
                    }
                    long[] vm = valueMask(f, val, vpos, key);
                    if (f.presentBit() != 0) set(FlowKey.TUN_MISC, f.presentBit(), f.presentBit(), key, s);   // even /0: OVS too
                    yield set(f.word, f.put(vm[0]), f.put(vm[1]), key, s);
                }
            };
            // a fully wildcarded field (nw_src=0.0.0.0/0) matches nothing and needs no prerequisite
            if (used && d.need() != Need.NONE) uses.add(new Object[] {d.need(), key, s});
        }

        void checkPrereqs() {
            for (Object[] u : uses) {
                Need need = (Need) u[0];
                if (!satisfied(need)) throw err((Integer) u[2], "\"" + u[1] + "\" " + needText(need));
            }
        }

        long exact(Field f) { return mask[f.word] == f.fullMask() ? value[f.word] : -1; }

        /** OVS's "CT" prerequisite: the match's ct_state names a valid connection (is_ct_valid). */
        boolean ctValid() {
            long v = CT_STATE.get(value[CT_STATE.word]), m = CT_STATE.get(mask[CT_STATE.word]);
            return (v & 0xcf) != 0 || ((v & 0x20) != 0 && (m & 0x10) != 0 && (v & 0x10) == 0);
        }

        boolean satisfied(Need need) {
            long t = exact(DL_TYPE), p = exact(NW_PROTO);
            boolean ip4 = t == 0x0800, ip6 = t == 0x86dd, ip = ip4 || ip6, arp = t == 0x0806 || t == 0x8035;   // OVS's MFP_ARP: ARP or RARP
            return switch (need) {
                case NONE -> true;
                case IPV4_OR_ARP -> ip4 || arp;
                case IP_OR_ARP -> ip || arp;
                case IP -> ip;
                case IPV4 -> ip4;
                case IPV6 -> ip6;
                case ARP -> arp;
                case L4 -> ip && (p == 6 || p == 17 || p == 132);
                case TCP -> ip && p == 6;
                case UDP -> ip && p == 17;
                case SCTP -> ip && p == 132;
                case ICMP -> (ip4 && p == 1) || (ip6 && p == 58);
                case ICMPV4 -> ip4 && p == 1;
                case ICMPV6 -> ip6 && p == 58;
                case ND, ND_SOLICIT, ND_ADVERT -> {
                    // as OVS's is_nd on the match's values: the type matched exactly, the code 0 (matched or not)
                    long type = (mask[ICMP_TYPE.word] & ICMP_TYPE.fullMask()) == ICMP_TYPE.fullMask()
                            ? ICMP_TYPE.get(value[ICMP_TYPE.word]) : -1;
                    boolean nd = ip6 && p == 58 && ICMP_CODE.get(value[ICMP_CODE.word]) == 0;
                    yield nd && (need == Need.ND ? type == 135 || type == 136 : type == (need == Need.ND_SOLICIT ? 135 : 136));
                }
                case CT -> ctValid();
            };
        }

        /**
         * What writing (set_field, load, move) or reading (move, learn) field d needs: its match prerequisite, but IPv4
         * for nw_src/nw_dst (a match takes them on ARP as arp_spa/arp_tpa, actions do not) and for
         * the neighbour discovery fields OVS's stricter ones (nd_target: a solicitation or advertisement, nd_sll: a
         * solicitation, nd_tll: an advertisement; matching them needs only icmp6 here, as before).
         */
        static Need actionNeed(Def d) {
            Field f = d.field();
            if (f == NW_SRC || f == NW_DST) return Need.IPV4;       // OVS's ip_src/ip_dst: an ARP flow's are arp_spa/arp_tpa
            return f == ND_TARGET ? Need.ND : f == ND_SLL ? Need.ND_SOLICIT : f == ND_TLL ? Need.ND_ADVERT : d.need();
        }

        static String needText(Need need) {
            return switch (need) {
                case NONE -> "";
                case IPV4_OR_ARP -> "needs \"ip\" or \"arp\" (dl_type=0x0800 or 0x0806) in the match";
                case IP_OR_ARP -> "needs \"ip\", \"ipv6\" or \"arp\" in the match";
                case IP -> "needs \"ip\" or \"ipv6\" (dl_type=0x0800 or 0x86dd) in the match";
                case IPV4 -> "needs \"ip\" (dl_type=0x0800) in the match";
                case IPV6 -> "needs \"ipv6\" (dl_type=0x86dd) in the match";
                case ARP -> "needs \"arp\" (dl_type=0x0806) in the match";
                case L4 -> "needs \"tcp\", \"udp\" or \"sctp\" (or their IPv6 forms) in the match";
                case TCP -> "needs \"tcp\" or \"tcp6\" in the match";
                case UDP -> "needs \"udp\" or \"udp6\" in the match";
                case SCTP -> "needs \"sctp\" or \"sctp6\" in the match";
                case ICMP -> "needs \"icmp\" or \"icmp6\" in the match";
                case ICMPV4 -> "needs \"icmp\" (ip,nw_proto=1) in the match";
                case ICMPV6 -> "needs \"icmp6\" (ipv6,nw_proto=58) in the match";
                case ND -> "needs \"icmp6,icmp_type=135\" or \"icmp6,icmp_type=136\" (and icmp_code 0) in the match";
                case ND_SOLICIT -> "needs \"icmp6,icmp_type=135\" (a neighbor solicitation, icmp_code 0) in the match";
                case ND_ADVERT -> "needs \"icmp6,icmp_type=136\" (a neighbor advertisement, icmp_code 0) in the match";
                case CT -> "needs a tracked connection in the match (ct_state with +new, +est, +rel, +rpl, +snat or +dnat, or +trk-inv)";
            };
        }

        // -------------------------------------------------------------------------------------- values

        /** A value with an optional /mask in the field's own notation: {value, mask}, value already masked. */
        long[] valueMask(Field f, String val, int vpos, String what) {
            int slash = val.indexOf('/');
            String v = slash < 0 ? val : val.substring(0, slash);
            long m = f.fieldMask();
            long x = switch (f.format) {
                case DEC, HEX -> unsigned(v, vpos, f.bits, what);
                case MAC -> mac(v, vpos, what);
                case IPV4 -> ipv4(v, vpos, what);
                case IPV6 -> throw new IllegalStateException();
            };
            if (slash >= 0) {
                String ms = val.substring(slash + 1);
                int mpos = vpos + slash + 1;
                m = switch (f.format) {
                    case DEC, HEX -> unsigned(ms, mpos, f.bits, what + " mask");
                    case MAC -> mac(ms, mpos, what + " mask");
                    case IPV4 -> ipv4Mask(ms, mpos, what);
                    case IPV6 -> throw new IllegalStateException();
                };
            }
            return new long[] {x & m, m};
        }

        /** A number with an optional numeric /mask, both of at most bits bits. */
        long[] valueMask(String val, int vpos, int bits, String what) {
            int slash = val.indexOf('/');
            long x = unsigned(slash < 0 ? val : val.substring(0, slash), vpos, bits, what);
            long m = slash < 0 ? (1L << bits) - 1 : unsigned(val.substring(slash + 1), vpos + slash + 1, bits, what + " mask");
            return new long[] {x & m, m};
        }

        /** A 128-bit number (xxreg) with an optional /mask: {hi, lo, mask hi, mask lo}, value masked. */
        long[] masked128(String val, int vpos, String what) {
            int slash = val.indexOf('/');
            BigInteger v = big(slash < 0 ? val : val.substring(0, slash), vpos, what);
            BigInteger all = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
            BigInteger m = slash < 0 ? all : big(val.substring(slash + 1), vpos + slash + 1, what + " mask");
            if (v.bitLength() > 128 || m.bitLength() > 128) throw err(vpos, what + " \"" + val + "\" does not fit in 128 bits");
            v = v.and(m);
            return new long[] {v.shiftRight(64).longValue(), v.longValue(), m.shiftRight(64).longValue(), m.longValue()};
        }

        long tos(String val, int vpos, String what) {
            long t = intIn(val, vpos, 0, 255, what);
            if ((t & 3) != 0) throw err(vpos, what + " " + t + " has ECN bits set: nw_tos is the DSCP in TOS position (a multiple of 4); use nw_ecn for ECN");
            return t;
        }

        long[] frag(String val, int vpos, String what) {
            String l = lower(val);
            for (int i = 0; i < FRAG_NAMES.length; i++)
                if (FRAG_NAMES[i].equals(l)) return new long[] {FRAG_VALUES[i][1], FRAG_VALUES[i][0]};
            if (!val.isEmpty() && val.charAt(0) >= '0' && val.charAt(0) <= '9') return valueMask(val, vpos, 2, what);
            throw err(vpos, what + " \"" + val + "\" is not one of no, yes, first, later, not_later");
        }

        /**
         * Flags as OVS writes them: a number (with optional /mask), "+a-b" (the named flags given, each set or
         * clear), or "a|b" (exactly those set, all bits matched).
         */
        /**
         * tun_flags as a number (OVS's parse_flags): only the public flag (oam, 1) may be set; a mask must not reach
         * past it, and no mask is that flag (OVS's match_set_tun_flags_masked keeps FLOW_TNL_PUB_F_MASK).
         */
        long[] tunFlagsNumber(String val, int vpos, String what) {
            long[] vm = valueMask(val, vpos, 8, what);
            if ((vm[0] & ~1L) != 0 || val.indexOf('/') >= 0 && (vm[1] & ~1L) != 0)
                throw err(vpos, what + ": unknown tunnel flag(s) in \"" + val + "\" (only oam, 1, can be matched)");
            return new long[] {vm[0] & vm[1] & 1, vm[1] & 1};
        }

        long[] flags(String val, int vpos, String what, String[] names, int bits, String kind) {
            char c0 = val.charAt(0);
            if (c0 >= '0' && c0 <= '9') return valueMask(val, vpos, bits, what);
            long v = 0, m = 0;
            if (c0 == '+' || c0 == '-') {
                int i = 0;
                while (i < val.length()) {
                    char sign = val.charAt(i);
                    if (sign != '+' && sign != '-') throw err(vpos + i, what + ": expected '+' or '-' before a flag name in \"" + val + "\"");
                    int j = i + 1;
                    while (j < val.length() && val.charAt(j) != '+' && val.charAt(j) != '-') j++;
                    long bit = flag(val.substring(i + 1, j), vpos + i + 1, what, names, kind);
                    if ((m & bit) != 0) throw err(vpos + i, what + ": flag \"" + val.substring(i + 1, j) + "\" is given twice");
                    m |= bit;
                    if (sign == '+') v |= bit;
                    i = j;
                }
                return new long[] {v, m};
            }
            int i = 0;
            while (true) {
                int j = val.indexOf('|', i);
                if (j < 0) j = val.length();
                v |= flag(val.substring(i, j), vpos + i, what, names, kind);
                if (j == val.length()) break;
                i = j + 1;
            }
            return new long[] {v, (1L << bits) - 1};
        }

        long flag(String name, int pos, String what, String[] names, String kind) {
            String l = lower(name);
            for (int b = 0; b < names.length; b++) if (names[b].equals(l)) return 1L << b;
            throw err(pos, what + ": unknown " + kind + " \"" + name + "\" (" + String.join(", ", names) + ")");
        }

        int intIn(String s, int pos, long min, long max, String what) {
            long v = unsigned(s, pos, 64, what);
            if (v < min || v > max) throw err(pos, what + " " + Long.toUnsignedString(v) + " is outside " + min + ".." + max);
            return (int) v;
        }

        /** An unsigned decimal or 0x-hex number of at most bits bits. */
        long unsigned(String s, int pos, int bits, String what) {
            BigInteger b = big(s, pos, what);
            if (b.bitLength() > bits)
                throw err(pos, what + " " + s + " does not fit in " + bits + " bits");
            return b.longValue();
        }

        BigInteger big(String s, int pos, String what) {
            if (s.isEmpty()) throw err(pos, what + " needs a value");
            boolean hex = s.length() > 1 && s.charAt(0) == '0' && (s.charAt(1) == 'x' || s.charAt(1) == 'X');
            String digits = hex ? s.substring(2) : s;
            int radix = hex ? 16 : 10;
            if (digits.isEmpty()) throw err(pos, what + " \"" + s + "\" is not a number");
            for (int i = 0; i < digits.length(); i++) {
                char c = digits.charAt(i);
                boolean ok = (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
                if (!ok) throw err(pos, what + " \"" + s + "\" is not a number");
            }
            if (digits.length() > 40) throw err(pos, what + " " + s + " is too large");
            return new BigInteger(digits, radix);
        }

        long mac(String s, int pos, String what) {
            String[] p = s.split(":", -1);
            if (p.length != 6) throw err(pos, what + " \"" + s + "\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
            long v = 0;
            for (String x : p) {
                int b = hexByte(x);
                if (b < 0) throw err(pos, what + " \"" + s + "\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
                v = (v << 8) | b;
            }
            return v;
        }

        long ipv4(String s, int pos, String what) {
            long v = parseIpv4(s);
            if (v < 0) throw err(pos, what + " \"" + s + "\" is not an IPv4 address");
            return v;
        }

        long ipv4Mask(String s, int pos, String what) {
            if (!s.isEmpty() && s.indexOf('.') < 0) {
                int len = intIn(s, pos, 0, 32, what + " prefix length");
                return len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
            }
            long v = parseIpv4(s);
            if (v < 0) throw err(pos, what + " mask \"" + s + "\" is not a prefix length or an IPv4 mask");
            return v;
        }

        /** {hi, lo, maskHi, maskLo}, values masked. */
        long[] ipv6Masked(String val, int vpos, String what) {
            int slash = val.indexOf('/');
            String a = slash < 0 ? val : val.substring(0, slash);
            long[] v = parseIpv6(a);
            if (v == null) throw err(vpos, what + " \"" + a + "\" is not an IPv6 address");
            long mh = -1L, ml = -1L;
            if (slash >= 0) {
                String ms = val.substring(slash + 1);
                int mpos = vpos + slash + 1;
                if (!ms.isEmpty() && ms.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    int len = intIn(ms, mpos, 0, 128, what + " prefix length");
                    mh = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
                    ml = len <= 64 ? 0 : len == 128 ? -1L : -1L << (128 - len);
                } else {
                    long[] m = parseIpv6(ms);
                    if (m == null) throw err(mpos, what + " mask \"" + ms + "\" is not a prefix length or an IPv6 mask");
                    mh = m[0];
                    ml = m[1];
                }
            }
            return new long[] {v[0] & mh, v[1] & ml, mh, ml};
        }

        // -------------------------------------------------------------------------------------- actions

        /**
         * The VLAN TCI as the actions so far leave it (OVS's action checks: the match's value, then push_vlan,
         * strip_vlan and VLAN rewrites in order): set_field on vlan_vid needs a tag here.
         */
        long tci;

        List<Action> actions(int start) {
            List<Action> out = new ArrayList<>();
            tci = value[VLAN_TCI.word];
            int n = text.length();
            int i = start, dropPos = -1, gotoPos = -1, wmPos = -1;
            while (i < n) {
                if (isDelim(text.charAt(i))) { i++; continue; }
                int s = i, depth = 0;
                while (i < n) {
                    char c = text.charAt(i);
                    if (c == '(' || c == '[') depth++;
                    else if (c == ')' || c == ']') {
                        if (depth == 0) throw err(i, "unbalanced \"" + c + "\" in \"" + text.substring(s, i + 1) + "\"");
                        depth--;
                    } else if (depth == 0 && isDelim(c)) break;
                    i++;
                }
                if (depth != 0) throw err(s, "unbalanced brackets in \"" + text.substring(s) + "\"");
                String tok = text.substring(s, i);
                if (gotoPos >= 0) throw err(gotoPos, "goto_table must be the last action (\"" + tok + "\" follows it)");
                if (wmPos >= 0 && !lower(tok).startsWith("goto_table"))
                    throw err(wmPos, "write_metadata may only be followed by goto_table (\"" + tok + "\" follows it)");
                if (lower(tok).equals("drop")) {
                    if (dropPos < 0) dropPos = s;
                    continue;
                }
                Action a = action(tok, s);
                switch (a) {
                    case PushVlan pv -> tci |= FlowKey.VLAN_PRESENT;
                    case StripVlan sv -> tci = 0;
                    case SetField sf when sf.field() == VLAN_TCI -> tci = (tci & ~sf.mask()) | (sf.value() & sf.mask());
                    default -> { }
                }
                if (a instanceof GotoTable) gotoPos = s;
                if (a instanceof WriteMetadata) wmPos = s;
                out.add(a);
            }
            long conj = out.stream().filter(x -> x instanceof Conjunction).count();
            if (conj > 0 && conj < out.size())
                throw err(start, "a flow with conjunction actions can have no other actions");
            if (dropPos >= 0 && !out.isEmpty())
                throw err(dropPos, "\"drop\" must not be accompanied by any other action or instruction");
            return out;
        }

        Action action(String tok, int s) {
            int cut = tok.length();
            for (int k = 0; k < tok.length(); k++) {
                char c = tok.charAt(k);
                if (c == ':' || c == '=' || c == '(') { cut = k; break; }
            }
            String name = tok.substring(0, cut);
            String arg = null;
            boolean parens = cut < tok.length() && tok.charAt(cut) == '(';
            if (cut < tok.length()) {
                if (parens) {
                    int close = matching(tok, cut);
                    if (close != tok.length() - 1 && tok.startsWith("->", close + 1) && lower(name).equals("check_pkt_larger")) {
                        arg = tok.substring(cut + 1);           // check_pkt_larger(N)->DST: the action takes it apart
                    } else {
                        if (close != tok.length() - 1) throw err(s + close + 1, "unexpected \"" + tok.substring(close + 1) + "\" after \"" + tok.substring(0, close + 1) + "\"");
                        arg = tok.substring(cut + 1, close);
                    }
                } else {
                    arg = tok.substring(cut + 1);
                }
            }
            if (name.isEmpty()) throw err(s, "missing action name in \"" + tok + "\"");
            return ActionSyntax.parse(new Args(tok, name, arg, parens, s + cut + 1));
        }

        /** One action token, with this parser's value syntaxes and checks, for the action's own parse. */
        private final class Args implements ActionArgs {
            private final String token, name, arg;
            private final boolean parens;
            private final int pos;

            Args(String token, String name, String arg, boolean parens, int pos) {
                this.token = token;
                this.name = name;
                this.arg = arg;
                this.parens = parens;
                this.pos = pos;
            }

            @Override public String name() { return name; }
            @Override public String arg() { return arg; }
            @Override public boolean parens() { return parens; }
            @Override public int pos() { return pos; }
            @Override public String token() { return token; }
            @Override public int table() { return table; }
            @Override public FlowSyntaxException error(int p, String message) { return err(p, message); }
            @Override public int intIn(String v, int p, long min, long max, String what) { return Parser.this.intIn(v, p, min, max, what); }
            @Override public long unsigned(String v, int p, int bits, String what) { return Parser.this.unsigned(v, p, bits, what); }
            @Override public BigInteger big(String v, int p, String what) { return Parser.this.big(v, p, what); }
            @Override public long mac(String v, int p, String what) { return Parser.this.mac(v, p, what); }
            @Override public long ipv4(String v, int p, String what) { return Parser.this.ipv4(v, p, what); }
            @Override public long tos(String v, int p, String what) { return Parser.this.tos(v, p, what); }
            @Override public long[] valueMask(Field f, String v, int p, String what) { return Parser.this.valueMask(f, v, p, what); }
            @Override public Subfield subfield(String v, int p, String what) { return Parser.this.subfield(v, p, what); }
            @Override public boolean settable(Field f) { return Parser.this.settable(f); }
            @Override public SetField setField(String v, int p) { return Parser.this.setField(v, p); }
            @Override public List<Action> nested(String text, int p) { return Parser.this.nested(text, p); }
            @Override public List<Action> ctExec(String text, int p) { return Parser.this.ctExec(text, p); }
            @Override public long matchedDlType() { return exact(DL_TYPE); }
            @Override public boolean inBucket() { return bucket; }
            @Override public long[] ipv6(String v, int p, String what) {
                long[] a = parseIpv6(v);
                if (a == null) throw err(p, what + " \"" + v + "\" is not an IPv6 address");
                return a;
            }

            @Override public void needPrerequisites(Subfield sf, String what, int p) {
                Def d = SUBFIELDS.get(lower(sf.name()));
                if (d != null) needFor(d, what, p);
            }
        }

        /** An action list inside this one (clone): checked against this flow's match and the VLAN state here. */
        List<Action> nested(String arg, int apos) {
            Parser inner = new Parser(arg, false, false);
            System.arraycopy(value, 0, inner.value, 0, value.length);
            System.arraycopy(mask, 0, inner.mask, 0, mask.length);
            inner.table = table;
            inner.value[VLAN_TCI.word] = tci;          // the VLAN state the outer actions left, for vlan_vid's check
            try {
                return inner.actions(0);
            } catch (FlowSyntaxException e) {
                throw err(apos, "clone(...): " + e.getMessage());
            }
        }

        /** ct(exec(...))'s actions: only there may ct_mark and ct_label be set. */
        List<Action> ctExec(String arg, int apos) {
            Parser inner = new Parser(arg, false, false);
            System.arraycopy(value, 0, inner.value, 0, value.length);
            System.arraycopy(mask, 0, inner.mask, 0, mask.length);
            inner.table = table;
            inner.ctExec = true;
            try {
                return inner.actions(0);
            } catch (FlowSyntaxException e) {
                throw err(apos, "ct(exec(...)): " + e.getMessage());
            }
        }

        /** Whether actions here may write f: ct_mark and ct_label only inside ct(exec(...)), as OVS. */
        boolean settable(Field f) {
            return SETTABLE.contains(f) || (ctExec && (f == CT_MARK || f == CT_LABEL));
        }

        /** Fails unless the match gives what an action writing or reading d needs ({@link #actionNeed}). */
        void needFor(Def d, String what, int pos) {
            Need need = actionNeed(d);
            if (!satisfied(need)) throw err(pos, what + ": \"" + d.name() + "\" " + needText(need));
        }

        SetField setField(String arg, int apos) {
            int arrow = arg.indexOf("->");
            if (arrow < 0) throw err(apos, "set_field needs \"VALUE->FIELD\", not \"" + arg + "\"");
            String val = arg.substring(0, arrow), fname = arg.substring(arrow + 2);
            int fpos = apos + arrow + 2;
            Def d = FIELDS.get(lower(fname));
            if (d == null) throw err(fpos, "set_field: unknown field \"" + fname + "\"");
            if (val.isEmpty()) throw err(apos, "set_field needs a value before \"->\"");
            Field f = d.field();
            int slash = val.indexOf('/');
            switch (d.kind()) {
                case DL_VLAN -> {
                    if (slash >= 0) throw err(apos + slash, "set_field: \"" + fname + "\" cannot be masked");
                    long v = unsigned(val, apos, 16, fname);
                    if (v == 0xffff) return new SetField(VLAN_TCI, 0, 0xffff);      // OpenFlow 1.0's "no VLAN"
                    return new SetField(VLAN_TCI, (v & 0xfff) | FlowKey.VLAN_PRESENT, 0x0fff | FlowKey.VLAN_PRESENT);
                }
                case VLAN_VID -> {
                    // OXM's vlan_vid: 4096 | VID; without the 4096 bit the tag goes. As OVS, it needs a tag to set.
                    if (slash >= 0) throw err(apos + slash, "set_field: \"" + fname + "\" cannot be masked");
                    if ((tci & FlowKey.VLAN_PRESENT) == 0)
                        throw err(fpos, "set_field: \"" + fname + "\" lacks correct prerequisites: the packet has no VLAN tag at this"
                                + " point (match one, e.g. dl_vlan=10 or vlan_tci=0x1000/0x1000, or push_vlan first; mod_vlan_vid adds one)");
                    long v = unsigned(val, apos, 13, fname);
                    return new SetField(VLAN_TCI, v, 0x1fff);
                }
                case VLAN_PCP -> {
                    if (slash >= 0) throw err(apos + slash, "set_field: \"" + fname + "\" cannot be masked");
                    // OXM's vlan_pcp needs a tag (OVS: prerequisite "VLAN VID"); NXM's dl_vlan_pcp adds one
                    if (lower(fname).equals("vlan_pcp") && (tci & FlowKey.VLAN_PRESENT) == 0)
                        throw err(fpos, "set_field: \"" + fname + "\" lacks correct prerequisites: the packet has no VLAN tag at this"
                                + " point (match one, e.g. dl_vlan=10, or push_vlan first; dl_vlan_pcp and mod_vlan_pcp add one)");
                    long p = intIn(val, apos, 0, 7, fname);
                    return new SetField(VLAN_TCI, (p << 13) | FlowKey.VLAN_PRESENT, 0xe000 | FlowKey.VLAN_PRESENT);
                }
                case IP_DSCP -> {
                    needFor(d, "set_field", fpos);
                    if (slash >= 0) throw err(apos + slash, "set_field: \"" + fname + "\" cannot be masked");
                    return new SetField(NW_TOS, (long) intIn(val, apos, 0, 63, fname) << 2, NW_TOS.fullMask());
                }
                case NW_TOS -> {
                    needFor(d, "set_field", fpos);
                    if (slash >= 0) throw err(apos + slash, "set_field: \"" + fname + "\" cannot be masked");
                    return new SetField(NW_TOS, tos(val, apos, fname), NW_TOS.fullMask());
                }
                default -> { }
            }
            if (!settable(f) || d.kind() != Kind.PLAIN)
                throw err(fpos, "set_field: \"" + fname + "\" cannot be set" + (f == CT_MARK || f == CT_LABEL ? " outside ct(commit,exec(...))" : ""));
            needFor(d, "set_field", fpos);
            if (f.words() == 2) {
                long[] a = f.format == Field.Format.IPV6 ? ipv6Masked(val, apos, fname) : masked128(val, apos, fname);
                return new SetField(f, a[0], a[2], a[1], a[3]);
            }
            long[] vm = valueMask(f, val, apos, fname);
            return new SetField(f, f.put(vm[0]), f.put(vm[1]));
        }

        Subfield subfield(String s, int pos, String what) {
            int br = s.indexOf('[');
            String name = br < 0 ? s : s.substring(0, br);
            Def d = SUBFIELDS.get(lower(name));
            if (d == null) throw err(pos, what + ": unknown field \"" + name + "\"");
            int width = d.field().bits;
            if (br < 0) return new Subfield(d.field(), d.name(), 0, width);
            if (!s.endsWith("]")) throw err(pos + br, what + ": \"" + s + "\" must end with \"]\"");
            String r = s.substring(br + 1, s.length() - 1);
            int rpos = pos + br + 1;
            if (r.isEmpty()) return new Subfield(d.field(), d.name(), 0, width);
            int dots = r.indexOf("..");
            int a, b;
            if (dots < 0) {
                a = b = intIn(r, rpos, 0, width - 1, name + " bit");
            } else {
                a = intIn(r.substring(0, dots), rpos, 0, width - 1, name + " start bit");
                b = intIn(r.substring(dots + 2), rpos + dots + 2, 0, width - 1, name + " end bit");
                if (b < a) throw err(rpos, what + ": bit range \"" + r + "\" runs backwards");
            }
            return new Subfield(d.field(), d.name(), a, b - a + 1);
        }

    }

    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i;
        }
        return s.length() - 1;
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /** One or two hex digits, or -1. */
    private static int hexByte(String x) {
        if (x.isEmpty() || x.length() > 2) return -1;
        int v = 0;
        for (int i = 0; i < x.length(); i++) {
            int d = hexDigit(x.charAt(i));
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v;
    }

    /** a.b.c.d as an unsigned 32-bit value, or -1. */
    static long parseIpv4(String s) {
        String[] p = s.split("\\.", -1);
        if (p.length != 4) return -1;
        long v = 0;
        for (String x : p) {
            if (x.isEmpty() || x.length() > 3 || !isDigits(x)) return -1;
            int b = Integer.parseInt(x);
            if (b > 255) return -1;
            v = (v << 8) | b;
        }
        return v;
    }

    /** An IPv6 address (RFC 4291 text forms, with an optional trailing dotted IPv4) as {hi, lo}, or null. */
    static long[] parseIpv6(String s) {
        int dc = s.indexOf("::");
        if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) return null;
        List<Integer> head = new ArrayList<>(), tail = new ArrayList<>();
        if (dc < 0) {
            if (!groups(s, head, true)) return null;
            if (head.size() != 8) return null;
        } else {
            String h = s.substring(0, dc), t = s.substring(dc + 2);
            if (!h.isEmpty() && !groups(h, head, false)) return null;
            if (!t.isEmpty() && !groups(t, tail, true)) return null;
            if (head.size() + tail.size() > 7) return null;
        }
        int[] g = new int[8];
        for (int i = 0; i < head.size(); i++) g[i] = head.get(i);
        for (int i = 0; i < tail.size(); i++) g[8 - tail.size() + i] = tail.get(i);
        long hi = 0, lo = 0;
        for (int i = 0; i < 4; i++) hi = (hi << 16) | g[i];
        for (int i = 4; i < 8; i++) lo = (lo << 16) | g[i];
        return new long[] {hi, lo};
    }

    private static boolean groups(String s, List<Integer> out, boolean v4Tail) {
        String[] p = s.split(":", -1);
        for (int i = 0; i < p.length; i++) {
            String x = p[i];
            if (i == p.length - 1 && v4Tail && x.indexOf('.') >= 0) {
                long v = parseIpv4(x);
                if (v < 0) return false;
                out.add((int) (v >>> 16));
                out.add((int) (v & 0xffff));
                continue;
            }
            if (x.isEmpty() || x.length() > 4) return false;
            int v = 0;
            for (int k = 0; k < x.length(); k++) {
                int d = hexDigit(x.charAt(k));
                if (d < 0) return false;
                v = v * 16 + d;
            }
            out.add(v);
        }
        return true;
    }
}
