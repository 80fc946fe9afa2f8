package io.xvio.datapath;

import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.ActionSyntax;

import io.xvio.packet.Ethernet;
import io.xvio.packet.FlowKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.xvio.datapath.Field.*;

/**
 * Formats flows, matches and actions the way ovs-ofctl dump-flows does (field order, shorthands such as
 * {@code tcp}, {@code dl_vlan} views of {@code vlan_tci}, CIDR masks). Everything it writes, {@link FlowParser}
 * reads back to the same match, actions, priority, table and cookie.
 */
public final class FlowFormat {
    private FlowFormat() {}

    /**
     * withStats: the dump-flows line, {@code "cookie=0x0, duration=1.500s, table=0, n_packets=3, n_bytes=180,
     * idle_age=0, priority=100,in_port=1 actions=output:2"}; without: the add-flow text
     * {@code "table=1,cookie=0x5,priority=100,in_port=1 actions=output:2"} (defaults left out).
     */
    public static String format(Flow f, long now, boolean withStats) {
        StringBuilder sb = new StringBuilder();
        if (withStats) {
            sb.append("cookie=0x").append(Long.toHexString(f.cookie))
                    .append(", duration=").append(String.format(Locale.ROOT, "%.3fs", Math.max(0, now - f.createdNanos) / 1e9))
                    .append(", table=").append(f.table)
                    .append(", n_packets=").append(f.packetCount())
                    .append(", n_bytes=").append(f.byteCount());
            if (f.idleTimeout > 0) sb.append(", idle_timeout=").append(f.idleTimeout);
            if (f.hardTimeout > 0) sb.append(", hard_timeout=").append(f.hardTimeout);
            sb.append(", idle_age=").append(Math.max(0, now - f.lastHitNanos) / 1_000_000_000L).append(", ");
        } else {
            if (f.table != 0) sb.append("table=").append(f.table).append(',');
            if (f.cookie != 0) sb.append("cookie=0x").append(Long.toHexString(f.cookie)).append(',');
            if (f.idleTimeout > 0) sb.append("idle_timeout=").append(f.idleTimeout).append(',');
            if (f.hardTimeout > 0) sb.append("hard_timeout=").append(f.hardTimeout).append(',');
        }
        int start = sb.length();
        if (f.priority != Flow.DEFAULT_PRIORITY) sb.append("priority=").append(f.priority).append(',');
        sb.append(match(f.match));
        if (sb.length() > start && sb.charAt(sb.length() - 1) == ',') sb.setLength(sb.length() - 1);
        if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ' ') sb.append(' ');
        sb.append("actions=").append(actions(f.actions));
        return sb.toString();
    }

    /** A selection as del-flows/dump-flows take it (table, cookie/mask, priority when strict, match). */
    public static String spec(FlowSpec s) {
        List<String> p = new ArrayList<>();
        if (s.table() != FlowSpec.ALL_TABLES) p.add("table=" + s.table());
        if (s.cookieMask() != 0) p.add("cookie=0x" + Long.toHexString(s.cookie()) + (s.cookieMask() == -1L ? "" : "/0x" + Long.toHexString(s.cookieMask())));
        if (s.strict()) p.add("priority=" + s.priority());
        if (s.outPort() >= 0) p.add("out_port=" + s.outPort());
        String m = match(s.match());
        if (!m.isEmpty()) p.add(m);
        String r = String.join(",", p);
        if (s.actions() != null) r = (r.isEmpty() ? "" : r + " ") + "actions=" + actions(s.actions());
        return r;
    }

    private static long exact(Match m, Field f) { return m.mask(f.word) == f.fullMask() ? m.value(f.word) : -1; }

    /** The match as ovs-ofctl prints it: fields in OVS's order, comma-separated, empty for match-all. */
    public static String match(Match m) {
        List<String> p = new ArrayList<>();
        if (m.mask(FlowKey.CONJ_ID) != 0) p.add("conj_id=" + m.value(FlowKey.CONJ_ID));     // OVS prints it first
        conntrack(p, m);
        long type = exact(m, DL_TYPE), proto = exact(m, NW_PROTO);
        boolean skipType = false, skipProto = false;
        boolean ip4 = type == 0x0800, ip6 = type == 0x86dd, arp = type == 0x0806 || type == 0x8035;   // RARP: ARP's fields
        if (ip4 || ip6 || arp) {
            skipType = true;
            String sh = type == 0x8035 ? "rarp" : arp ? "arp" : ip4 ? "ip" : "ipv6";
            if (!arp && proto >= 0) {
                String l4 = switch ((int) proto) {
                    case 1 -> ip4 ? "icmp" : null;
                    case 58 -> ip6 ? "icmp6" : null;
                    case 6 -> ip4 ? "tcp" : "tcp6";
                    case 17 -> ip4 ? "udp" : "udp6";
                    case 132 -> ip4 ? "sctp" : "sctp6";
                    default -> null;
                };
                if (l4 != null) { sh = l4; skipProto = true; }
            }
            p.add(sh);
        }
        for (int r = 0; r < 16; r++) hexField(p, m, Field.valueOf("REG" + r));   // xreg/xxreg matches print as their registers
        hexField(p, m, METADATA);
        hexField(p, m, PKT_MARK);
        tunnel(p, m);
        if (m.mask(FlowKey.IN_PORT) != 0) p.add("in_port=" + numMasked(m, IN_PORT));
        vlan(p, m);
        if (m.mask(FlowKey.DL_SRC) != 0) p.add("dl_src=" + macMasked(m, DL_SRC));
        if (m.mask(FlowKey.DL_DST) != 0) p.add("dl_dst=" + macMasked(m, DL_DST));
        if (!skipType && m.mask(FlowKey.DL_TYPE) != 0) p.add("dl_type=" + hexMasked(m, DL_TYPE));
        if (m.mask(FlowKey.IPV6_SRC_HI) != 0 || m.mask(FlowKey.IPV6_SRC_LO) != 0) p.add("ipv6_src=" + ipv6Masked(m, FlowKey.IPV6_SRC_HI));
        if (m.mask(FlowKey.IPV6_DST_HI) != 0 || m.mask(FlowKey.IPV6_DST_LO) != 0) p.add("ipv6_dst=" + ipv6Masked(m, FlowKey.IPV6_DST_HI));
        if (ip6 && (m.mask(FlowKey.NW_SRC) != 0 || m.mask(FlowKey.NW_DST) != 0)) p.add("nd_target=" + ipv6Masked(m, FlowKey.NW_SRC));
        if (!ip6 && m.mask(FlowKey.NW_SRC) != 0) p.add((arp ? "arp_spa=" : "nw_src=") + ipv4Masked(m.value(FlowKey.NW_SRC), m.mask(FlowKey.NW_SRC)));
        if (!ip6 && m.mask(FlowKey.NW_DST) != 0) p.add((arp ? "arp_tpa=" : "nw_dst=") + ipv4Masked(m.value(FlowKey.NW_DST), m.mask(FlowKey.NW_DST)));
        if (!skipProto && m.mask(FlowKey.NW_PROTO) != 0) p.add((arp ? "arp_op=" : "nw_proto=") + numMasked(m, NW_PROTO));
        if (m.mask(FlowKey.NW_TOS) != 0) p.add("nw_tos=" + numMasked(m, NW_TOS));
        if (m.mask(FlowKey.NW_ECN) != 0) p.add("nw_ecn=" + numMasked(m, NW_ECN));
        if (m.mask(FlowKey.NW_TTL) != 0) p.add("nw_ttl=" + numMasked(m, NW_TTL));
        if (m.mask(FlowKey.NW_FRAG) != 0) p.add("nw_frag=" + frag(m.value(FlowKey.NW_FRAG), m.mask(FlowKey.NW_FRAG)));
        boolean icmp = (ip4 && proto == 1) || (ip6 && proto == 58);
        boolean nd = ip6 && proto == 58;
        if (m.mask(FlowKey.TP_SRC) != 0 && !(nd && ICMP_TYPE.get(m.mask(FlowKey.TP_SRC)) == 0)) p.add(arp ? "arp_sha=" + macMasked(m, ARP_SHA)
                : icmp ? "icmp_type=" + numMasked(m, ICMP_TYPE) : "tp_src=" + numMasked(m, TP_SRC));
        if (m.mask(FlowKey.TP_DST) != 0 && !(nd && ICMP_CODE.get(m.mask(FlowKey.TP_DST)) == 0)) p.add(arp ? "arp_tha=" + macMasked(m, ARP_THA)
                : icmp ? "icmp_code=" + numMasked(m, ICMP_CODE) : "tp_dst=" + numMasked(m, TP_DST));
        if (nd && ND_SLL.get(m.mask(FlowKey.TP_SRC)) != 0) p.add("nd_sll=" + macMasked(m, ND_SLL));
        if (nd && ND_TLL.get(m.mask(FlowKey.TP_DST)) != 0) p.add("nd_tll=" + macMasked(m, ND_TLL));
        if (m.mask(FlowKey.TCP_FLAGS) != 0) p.add("tcp_flags=" + tcpFlags(m.value(FlowKey.TCP_FLAGS), m.mask(FlowKey.TCP_FLAGS)));
        return String.join(",", p);
    }

    /** The tun_* fields (issue 16), in OVS's order. */
    private static void tunnel(List<String> p, Match m) {
        hexField(p, m, TUN_ID);
        if (TUN_SRC.get(m.mask(FlowKey.TUN_IPV4)) != 0)
            p.add("tun_src=" + ipv4Masked(TUN_SRC.get(m.value(FlowKey.TUN_IPV4)), TUN_SRC.get(m.mask(FlowKey.TUN_IPV4))));
        if (TUN_DST.get(m.mask(FlowKey.TUN_IPV4)) != 0)
            p.add("tun_dst=" + ipv4Masked(TUN_DST.get(m.value(FlowKey.TUN_IPV4)), TUN_DST.get(m.mask(FlowKey.TUN_IPV4))));
        if (m.mask(FlowKey.TUN_IPV6_SRC_HI) != 0 || m.mask(FlowKey.TUN_IPV6_SRC_LO) != 0) p.add("tun_ipv6_src=" + ipv6Masked(m, FlowKey.TUN_IPV6_SRC_HI));
        if (m.mask(FlowKey.TUN_IPV6_DST_HI) != 0 || m.mask(FlowKey.TUN_IPV6_DST_LO) != 0) p.add("tun_ipv6_dst=" + ipv6Masked(m, FlowKey.TUN_IPV6_DST_HI));
        long tunFlags = TUN_FLAGS.get(m.mask(FlowKey.TUN_MISC));
        if (tunFlags != 0) {            // as OVS: "oam" (or 0) when the one public flag is the mask, else +oam/-oam
            boolean oam = (TUN_FLAGS.get(m.value(FlowKey.TUN_MISC)) & 1) != 0;
            p.add("tun_flags=" + (tunFlags == 1 ? (oam ? "oam" : "0") : hexMasked(m, TUN_FLAGS)));
        }
        for (Field f : new Field[] {TUN_TOS, TUN_TTL, TUN_TP_SRC, TUN_TP_DST})
            if (f.get(m.mask(f.word)) != 0) p.add(f.ofName + "=" + numMasked(m, f));
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++) {
            Field f = Field.valueOf("TUN_METADATA" + n);
            if (f.get(m.mask(f.word)) != 0) hexField(p, m, f);
            // present, any value: OVS prints "tun_metadata0", which its parser and ours do not take back
            else if ((m.mask(FlowKey.TUN_MISC) & f.presentBit()) != 0) p.add(f.ofName + "=0/0");
        }
    }

    /** The ct_* fields, in OVS's order (match_format). */
    private static void conntrack(List<String> p, Match m) {
        long sv = CT_STATE.get(m.value(FlowKey.CT_MISC)), sk = CT_STATE.get(m.mask(FlowKey.CT_MISC));
        if (sk != 0) p.add("ct_state=" + ((sk & ~0xffL) == 0 ? ctState(sv, sk) : "0x" + Long.toHexString(sv) + "/0x" + Long.toHexString(sk)));
        if (CT_ZONE.get(m.mask(FlowKey.CT_MISC)) != 0) p.add("ct_zone=" + numMasked(m, CT_ZONE));
        hexField(p, m, CT_MARK);
        if (m.mask(FlowKey.CT_LABEL_HI) != 0 || m.mask(FlowKey.CT_LABEL_LO) != 0)
            p.add("ct_label=" + hex128(m.value(FlowKey.CT_LABEL_HI), m.value(FlowKey.CT_LABEL_LO))
                    + (m.mask(FlowKey.CT_LABEL_HI) == -1L && m.mask(FlowKey.CT_LABEL_LO) == -1L ? ""
                       : "/" + hex128(m.mask(FlowKey.CT_LABEL_HI), m.mask(FlowKey.CT_LABEL_LO))));
        ipv4Field(p, m, CT_NW_SRC);
        if (m.mask(FlowKey.CT_IPV6_SRC_HI) != 0 || m.mask(FlowKey.CT_IPV6_SRC_LO) != 0) p.add("ct_ipv6_src=" + ipv6Masked(m, FlowKey.CT_IPV6_SRC_HI));
        ipv4Field(p, m, CT_NW_DST);
        if (m.mask(FlowKey.CT_IPV6_DST_HI) != 0 || m.mask(FlowKey.CT_IPV6_DST_LO) != 0) p.add("ct_ipv6_dst=" + ipv6Masked(m, FlowKey.CT_IPV6_DST_HI));
        if (CT_NW_PROTO.get(m.mask(FlowKey.CT_MISC)) != 0) p.add("ct_nw_proto=" + numMasked(m, CT_NW_PROTO));
        if (CT_TP_SRC.get(m.mask(FlowKey.CT_TP)) != 0) p.add("ct_tp_src=" + numMasked(m, CT_TP_SRC));
        if (CT_TP_DST.get(m.mask(FlowKey.CT_TP)) != 0) p.add("ct_tp_dst=" + numMasked(m, CT_TP_DST));
    }

    private static void ipv4Field(List<String> p, Match m, Field f) {
        long k = f.get(m.mask(f.word));
        if (k != 0) p.add(f.ofName + "=" + ipv4Masked(f.get(m.value(f.word)), k));
    }

    static String hex128(long hi, long lo) {
        return "0x" + (hi == 0 ? Long.toHexString(lo) : Long.toHexString(hi) + String.format(Locale.ROOT, "%016x", lo));
    }

    /** OVS's ct_state notation: "trk|est" when every bit is matched (0 for none), else "+est+trk-new" in bit order. */
    static String ctState(long v, long k) {
        StringBuilder sb = new StringBuilder();
        if (k == 0xff) {
            for (int b = 0; b < 8; b++) if ((v & (1L << b)) != 0) sb.append(sb.isEmpty() ? "" : "|").append(FlowParser.CT_STATE_NAMES[b]);
            return sb.isEmpty() ? "0" : sb.toString();
        }
        for (int b = 0; b < 8; b++)
            if ((k & (1L << b)) != 0) sb.append((v & (1L << b)) != 0 ? '+' : '-').append(FlowParser.CT_STATE_NAMES[b]);
        return sb.toString();
    }

    private static void hexField(List<String> p, Match m, Field f) {
        if (f.get(m.mask(f.word)) != 0) p.add(f.ofName + "=" + hexMasked(m, f));
    }

    private static String hexMasked(Match m, Field f) {
        long v = f.get(m.value(f.word)), k = f.get(m.mask(f.word));
        return "0x" + Long.toHexString(v) + (k == f.fieldMask() ? "" : "/0x" + Long.toHexString(k));
    }

    /** Decimal when exact, hex value/mask otherwise (as OVS prints masked ports). */
    private static String numMasked(Match m, Field f) {
        long v = f.get(m.value(f.word)), k = f.get(m.mask(f.word));
        if (k == f.fieldMask()) return Long.toString(v);
        return "0x" + Long.toHexString(v) + "/0x" + Long.toHexString(k);
    }

    private static String macMasked(Match m, Field f) {
        long v = f.get(m.value(f.word)), k = f.get(m.mask(f.word));
        return Ethernet.format(v) + (k == f.fieldMask() ? "" : "/" + Ethernet.format(k));
    }

    /** OVS's vlan_tci views: dl_vlan / dl_vlan_pcp when they say it all, else vlan_tci=0xV[/0xM]. */
    private static void vlan(List<String> p, Match m) {
        long v = m.value(FlowKey.VLAN_TCI), k = m.mask(FlowKey.VLAN_TCI);
        if (k == 0) return;
        long vid = k & 0x0fff, pcp = k & 0xe000, cfi = k & FlowKey.VLAN_PRESENT;
        if (cfi != 0 && (v & FlowKey.VLAN_PRESENT) != 0 && (vid == 0 || vid == 0x0fff) && (pcp == 0 || pcp == 0xe000)
                && (vid != 0 || pcp != 0) && (k & ~0xffffL) == 0) {
            if (vid != 0) p.add("dl_vlan=" + (v & 0x0fff));
            if (pcp != 0) p.add("dl_vlan_pcp=" + ((v >>> 13) & 7));
        } else if (k == 0xffff) {
            p.add(String.format(Locale.ROOT, "vlan_tci=0x%04x", v));
        } else {
            p.add(String.format(Locale.ROOT, "vlan_tci=0x%04x/0x%04x", v, k));
        }
    }

    public static String ipv4(long v) {
        return ((v >>> 24) & 255) + "." + ((v >>> 16) & 255) + "." + ((v >>> 8) & 255) + "." + (v & 255);
    }

    /** Prefix length of a contiguous mask, or -1. */
    private static int prefix(long mask, int bits) {
        int ones = Long.bitCount(mask);
        long want = ones == 0 ? 0 : (bits == 64 && ones == 64) ? -1L : ((1L << ones) - 1) << (bits - ones);
        return mask == want ? ones : -1;
    }

    static String ipv4Masked(long v, long k) {
        if (k == 0xffffffffL) return ipv4(v);
        int len = prefix(k, 32);
        return ipv4(v) + "/" + (len >= 0 ? Integer.toString(len) : ipv4(k));
    }

    private static String ipv6Masked(Match m, int w) {
        long hi = m.value(w), lo = m.value(w + 1), mh = m.mask(w), ml = m.mask(w + 1);
        String a = ipv6(hi, lo);
        if (mh == -1L && ml == -1L) return a;
        int len = -1;
        if (ml == 0) len = prefix(mh, 64);
        else if (mh == -1L) { int l2 = prefix(ml, 64); len = l2 < 0 ? -1 : 64 + l2; }
        return a + "/" + (len >= 0 ? Integer.toString(len) : ipv6(mh, ml));
    }

    private static String frag(long v, long k) {
        for (int i = 0; i < FlowParser.FRAG_NAMES.length; i++)
            if (FlowParser.FRAG_VALUES[i][0] == k && FlowParser.FRAG_VALUES[i][1] == v) return FlowParser.FRAG_NAMES[i];
        return v + "/" + k;
    }

    /** "+syn-ack" when only named flags are masked, "syn|ack" when all 12 bits are, else 0xV/0xM. */
    private static String tcpFlags(long v, long k) {
        if (k == 0xfff && v != 0 && (v & ~0x1ffL) == 0) {
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < 9; b++) if ((v & (1L << b)) != 0) sb.append(sb.isEmpty() ? "" : "|").append(FlowParser.TCP_FLAG_NAMES[b]);
            return sb.toString();
        }
        if (k != 0 && (k & ~0x1ffL) == 0) {
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < 9; b++)
                if ((k & (1L << b)) != 0) sb.append((v & (1L << b)) != 0 ? '+' : '-').append(FlowParser.TCP_FLAG_NAMES[b]);
            return sb.toString();
        }
        return "0x" + Long.toHexString(v) + (k == 0xfff ? "" : "/0x" + Long.toHexString(k));
    }

    /** A field value in the field's notation (decimal, 0x-hex, MAC, dotted IPv4; IPv6 needs {@link #ipv6}). */
    public static String value(Field f, long v) {
        return switch (f.format) {
            case DEC -> Long.toUnsignedString(v);
            case HEX -> "0x" + Long.toHexString(v);
            case MAC -> Ethernet.format(v);
            case IPV4 -> ipv4(v);
            case IPV6 -> "0x" + Long.toHexString(v);
        };
    }

    /** RFC 5952 text: lower-case hex, no leading zeros, the longest run of two or more zero groups as "::". */
    public static String ipv6(long hi, long lo) {
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            g[4 + i] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        int bestAt = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    public static String actions(List<Action> actions) {
        return ActionSyntax.format(actions);
    }

    /** One action as dump-flows prints it. */
    public static String action(Action a) { return a.format(); }
}
