package io.xvio.datapath;

import net.jqwik.api.*;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The flow parser on arbitrary input (it parses or names a position inside the string, never anything else) and
 * on generated valid flows (they parse, and format/parse round-trips them exactly).
 */
class FlowParserProperties {

    private static void parsesOrFailsWithAPosition(String text) {
        for (int mode = 0; mode < 3; mode++) {
            try {
                switch (mode) {
                    case 0 -> FlowParser.parse(text);
                    case 1 -> FlowParser.parseSpec(text, false);
                    default -> FlowParser.parseSpec(text, true);
                }
            } catch (FlowSyntaxException e) {
                assertTrue(e.position() >= 0 && e.position() <= text.length(), e.getMessage());
            }
        }
    }

    @Property(tries = 2000)
    void anyStringParsesOrFailsWithAPositionInsideIt(@ForAll String text) {
        parsesOrFailsWithAPosition(text);
    }

    /** Strings made of flow-language pieces, so the fuzzing gets past the first token. */
    @Provide
    Arbitrary<String> nearFlows() {
        Arbitrary<String> piece = Arbitraries.of(
                "in_port", "dl_src", "dl_dst", "dl_type", "dl_vlan", "dl_vlan_pcp", "vlan_tci", "vlan_vid", "nw_src", "nw_dst",
                "nw_proto", "nw_tos", "ip_dscp", "nw_ecn", "nw_ttl", "nw_frag", "tp_src", "tp_dst", "tcp_dst", "icmp_type",
                "icmp_code", "arp_op", "arp_spa", "arp_tpa", "ipv6_src", "ipv6_dst", "tcp_flags", "metadata", "reg0", "reg7", "reg15", "xreg3", "xxreg1", "pkt_mark", "NXM_NX_XXREG2", "nd_target", "nd_sll", "nd_tll", "NXM_NX_ND_SLL", "135", "136",
                "ip", "ipv6", "arp", "tcp", "udp", "icmp", "tcp6", "udp6", "icmp6", "table", "priority", "cookie",
                "idle_timeout", "hard_timeout", "out_port", "duration", "actions", "action", "output", "drop", "normal",
                "flood", "all", "in_port", "mod_vlan_vid", "mod_vlan_pcp", "strip_vlan", "push_vlan", "mod_dl_src",
                "mod_nw_dst", "mod_tp_src", "mod_nw_tos", "dec_ttl", "set_field", "load", "move", "resubmit", "goto_table",
                "write_metadata", "NXM_NX_REG0", "=", "=", ":", ":", ",", ",", " ", "(", ")", "[", "]", "..", "->", "/",
                "0", "1", "7", "80", "255", "256", "65535", "0x", "0x800", "0xffff", "0xffffffffffffffff", "99999999999999999999999",
                "-1", "10.0.0.1", "10.0.0.0/8", "1.2.3.4/255.0.0.0", "1.2.3", "aa:bb:cc:dd:ee:ff", "01:00:00:00:00:00/01:00:00:00:00:00",
                "fe80::1", "::", "::/64", "1::2::3", "+syn-ack", "syn|ack", "first", "later", "\u00e9", "\u0130", "\t", "\n");
        return piece.list().ofMaxSize(16).map(l -> String.join("", l));
    }

    @Property(tries = 5000)
    void nearFlowsParseOrFailWithAPositionInsideThem(@ForAll("nearFlows") String text) {
        parsesOrFailsWithAPosition(text);
    }

    // ------------------------------------------------------------------------------------------ valid flows

    @Provide
    Arbitrary<String> flows() {
        return Arbitraries.randomValue(FlowParserProperties::validFlow);
    }

    @Property(tries = 3000)
    void generatedFlowsRoundTripThroughFormat(@ForAll("flows") String text) {
        Flow f = FlowParser.parse(text);
        String formatted = FlowFormat.format(f, 0, false);
        Flow g = assertDoesNotThrow(() -> FlowParser.parse(formatted), () -> text + "\n formatted as " + formatted);
        assertSame(f, g, text + "\n formatted as " + formatted);
        assertEquals(formatted, FlowFormat.format(g, 0, false), "format is a fixpoint");

        String dump = FlowFormat.format(f, f.createdNanos() + 1_000_000, true);
        assertSame(f, FlowParser.parse(dump), dump);

        // keywords are case-insensitive: the whole flow upper-cased is the same flow
        String upper = text.toUpperCase(Locale.ROOT);
        assertSame(f, FlowParser.parse(upper), upper);

        // a flow always selects itself, strictly and not
        FlowSpec strict = FlowParser.parseSpec(FlowFormat.format(f, 0, false), true);
        assertTrue(strict.selects(f), formatted);
        assertTrue(FlowParser.parseSpec(FlowFormat.match(f.match), false).selects(f), formatted);
    }

    private static void assertSame(Flow f, Flow g, String what) {
        assertEquals(f.match, g.match, what);
        assertEquals(f.actions, g.actions, what);
        assertEquals(f.priority, g.priority, what);
        assertEquals(f.table, g.table, what);
        assertEquals(f.cookie, g.cookie, what);
        assertEquals(f.idleTimeout, g.idleTimeout, what);
        assertEquals(f.hardTimeout, g.hardTimeout, what);
    }

    // ------------------------------------------------------------------------------------------ generator

    private static <T> T pick(Random r, List<T> l) { return l.get(r.nextInt(l.size())); }

    private static String mac(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) sb.append(i == 0 ? "" : ":").append(String.format("%02x", r.nextInt(256)));
        return sb.toString();
    }

    private static String ip4(Random r) { return r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256); }

    private static String ip4Masked(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> ip4(r);
            case 1 -> ip4(r) + "/" + r.nextInt(33);
            default -> ip4(r) + "/" + ip4(r);
        };
    }

    private static String ip6(Random r) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = r.nextInt(4) == 0 ? 0 : r.nextInt(4) == 0 ? r.nextInt(16) : r.nextInt(65536);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) sb.append(i == 0 ? "" : ":").append(Integer.toHexString(g[i]));
        String s = sb.toString();
        return r.nextBoolean() ? s : FlowFormat.ipv6(FlowParser.parseIpv6(s)[0], FlowParser.parseIpv6(s)[1]);
    }

    private static String ip6Masked(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> ip6(r);
            case 1 -> ip6(r) + "/" + r.nextInt(129);
            default -> ip6(r) + "/" + ip6(r);
        };
    }

    private static String num(Random r, long max) {
        long v = max >= 0 && max < Integer.MAX_VALUE ? r.nextInt((int) max + 1) : r.nextLong() & max;
        return r.nextBoolean() ? Long.toUnsignedString(v) : "0x" + Long.toHexString(v);
    }

    private static String masked(Random r, long max) {
        return r.nextBoolean() ? num(r, max) : num(r, max) + "/" + num(r, max);
    }

    /** A valid add-flow string: a protocol context, fields that fit it in random order, attributes, actions. */
    static String validFlow(Random r) {
        String ctx = pick(r, List.of("", "", "ip", "ipv6", "arp", "tcp", "udp", "sctp", "icmp", "tcp6", "udp6", "icmp6", "sctp6", "other"));
        List<String> parts = new ArrayList<>();
        switch (ctx) {
            case "" -> { }
            case "other" -> parts.add("dl_type=" + pick(r, List.of("0x88cc", "0x8035", "35020")));
            default -> parts.add(r.nextInt(4) > 0 ? ctx : switch (ctx) {
                case "ip" -> "dl_type=0x0800";
                case "ipv6" -> "eth_type=0x86dd";
                case "arp" -> "dl_type=0x806";
                case "tcp" -> "ip,nw_proto=6";
                case "udp" -> "dl_type=0x0800,ip_proto=17";
                case "icmp" -> "ip,nw_proto=1";
                case "tcp6" -> "ipv6,nw_proto=6";
                default -> ctx;
            });
        }
        boolean v4 = List.of("ip", "tcp", "udp", "sctp", "icmp").contains(ctx);
        boolean v6 = ctx.equals("ipv6") || ctx.endsWith("6");
        boolean arp = ctx.equals("arp");
        boolean l4 = List.of("tcp", "udp", "sctp", "tcp6", "udp6", "sctp6").contains(ctx);
        boolean tcp = ctx.startsWith("tcp");
        boolean icmp = ctx.startsWith("icmp");
        if (r.nextInt(3) == 0) parts.add("in_port=" + r.nextInt(65536));
        if (r.nextInt(4) == 0) parts.add(pick(r, List.of("dl_src=", "eth_src=")) + mac(r) + (r.nextBoolean() ? "" : "/" + mac(r)));
        if (r.nextInt(4) == 0) parts.add(pick(r, List.of("dl_dst=", "eth_dst=")) + mac(r) + (r.nextBoolean() ? "" : "/" + mac(r)));
        switch (r.nextInt(8)) {
            case 0 -> parts.add("dl_vlan=" + r.nextInt(4096));
            case 1 -> parts.add("dl_vlan=0xffff");
            case 2 -> parts.add("dl_vlan_pcp=" + r.nextInt(8));
            case 3 -> { parts.add("dl_vlan=" + r.nextInt(4096)); parts.add("vlan_pcp=" + r.nextInt(8)); }
            case 4 -> parts.add("vlan_tci=" + masked(r, 0xffff));
            case 5 -> parts.add("vlan_vid=" + masked(r, 0x1fff));
            default -> { }
        }
        if (r.nextInt(4) == 0) parts.add("metadata=" + masked(r, -1L));
        for (int reg = 0; reg < 16; reg++) if (r.nextInt(20) == 0) parts.add("reg" + reg + "=" + masked(r, 0xffffffffL));
        if (r.nextInt(20) == 0) parts.add("pkt_mark=" + masked(r, 0xffffffffL));
        if (v4 || arp) {
            String s = arp ? pick(r, List.of("arp_spa=", "nw_src=")) : pick(r, List.of("nw_src=", "ip_src=", "ipv4_src="));
            String d = arp ? pick(r, List.of("arp_tpa=", "nw_dst=")) : pick(r, List.of("nw_dst=", "ip_dst="));
            if (r.nextBoolean()) parts.add(s + ip4Masked(r));
            if (r.nextBoolean()) parts.add(d + ip4Masked(r));
        }
        if (arp && r.nextBoolean()) parts.add(pick(r, List.of("arp_op=", "nw_proto=")) + r.nextInt(256));
        if (ctx.equals("ip") && r.nextInt(3) == 0) parts.add("nw_proto=" + r.nextInt(256));
        if (ctx.equals("ipv6") && r.nextInt(3) == 0) parts.add("nw_proto=" + r.nextInt(256));
        if (v6) {
            if (r.nextBoolean()) parts.add("ipv6_src=" + ip6Masked(r));
            if (r.nextBoolean()) parts.add("ipv6_dst=" + ip6Masked(r));
        }
        if (v4 || v6) {
            switch (r.nextInt(3)) {
                case 0 -> parts.add("nw_tos=" + 4 * r.nextInt(64));
                case 1 -> parts.add("ip_dscp=" + r.nextInt(64));
                default -> { }
            }
            if (r.nextInt(3) == 0) parts.add(pick(r, List.of("nw_ecn=", "ip_ecn=")) + r.nextInt(4));
            if (r.nextInt(3) == 0) parts.add("nw_ttl=" + r.nextInt(256));
            if (r.nextInt(3) == 0) parts.add("nw_frag=" + pick(r, List.of("no", "yes", "first", "later", "not_later")));
        }
        if (l4) {
            String pfx = r.nextBoolean() ? "tp_" : ctx.replace("6", "") + "_";
            if (r.nextBoolean()) parts.add(pfx + "src=" + masked(r, 0xffff));
            if (r.nextBoolean()) parts.add(pfx + "dst=" + masked(r, 0xffff));
        }
        if (tcp && r.nextBoolean()) {
            parts.add("tcp_flags=" + switch (r.nextInt(3)) {
                case 0 -> masked(r, 0xfff);
                case 1 -> {
                    StringBuilder sb = new StringBuilder();
                    for (int b = 0; b < 9; b++) if (r.nextInt(3) == 0) sb.append(r.nextBoolean() ? '+' : '-').append(FlowParser.TCP_FLAG_NAMES[b]);
                    yield sb.isEmpty() ? "+syn" : sb.toString();
                }
                default -> {
                    List<String> names = new ArrayList<>();
                    for (int b = 0; b < 9; b++) if (r.nextInt(3) == 0) names.add(FlowParser.TCP_FLAG_NAMES[b]);
                    yield names.isEmpty() ? "ack" : String.join("|", names);
                }
            });
        }
        // a neighbour solicitation or advertisement (icmp_type 135/136, code 0): nd_* may be written
        int nd = ctx.equals("icmp6") && r.nextInt(3) == 0 ? (r.nextBoolean() ? 135 : 136) : 0;
        if (nd != 0) {
            parts.add(pick(r, List.of("icmp_type=", "icmpv6_type=")) + nd);
            if (r.nextBoolean()) parts.add("icmp_code=0");
            if (r.nextBoolean()) parts.add("nd_target=" + ip6Masked(r));
            if (r.nextBoolean()) parts.add((nd == 135 ? "nd_sll=" : "nd_tll=") + mac(r) + (r.nextBoolean() ? "" : "/" + mac(r)));
        } else if (icmp) {
            if (r.nextBoolean()) parts.add("icmp_type=" + r.nextInt(256));
            if (r.nextBoolean()) parts.add((ctx.equals("icmp6") ? "icmpv6_code=" : "icmp_code=") + r.nextInt(256));
        }
        int table = r.nextInt(3) == 0 ? r.nextInt(255) : 0;
        if (table != 0 || r.nextInt(5) == 0) parts.add("table=" + table);
        if (r.nextBoolean()) parts.add("priority=" + r.nextInt(65536));
        if (r.nextInt(3) == 0) parts.add("cookie=" + num(r, -1L));
        if (r.nextInt(5) == 0) parts.add("idle_timeout=" + r.nextInt(65536));
        if (r.nextInt(5) == 0) parts.add("hard_timeout=" + r.nextInt(65536));
        Collections.shuffle(parts, r);

        List<String> acts = new ArrayList<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) acts.add(action(r, v4, v6, arp, l4, tcp, nd));
        if (table < 254 && r.nextInt(4) == 0) acts.add("write_metadata:" + masked(r, -1L));
        if (table < 254 && r.nextInt(4) == 0) acts.add("goto_table:" + (table + 1 + r.nextInt(254 - table)));
        String actions = acts.isEmpty() ? (r.nextBoolean() ? "drop" : "") : String.join(",", acts);

        StringBuilder sb = new StringBuilder();
        for (String p : parts) sb.append(p).append(pick(r, List.of(",", " ", ", ", "\t")));
        return sb.append(r.nextBoolean() ? "actions=" : "action=").append(actions).toString();
    }

    private static String action(Random r, boolean v4, boolean v6, boolean arp, boolean l4, boolean tcp, int nd) {
        while (true) {
            switch (r.nextInt(29)) {
                case 0: return "output:" + (1 + r.nextInt(0xfeff));
                case 1: return Integer.toString(1 + r.nextInt(0xfeff));
                case 2: return pick(r, List.of("in_port", "normal", "NORMAL", "flood", "all", "output:in_port"));
                case 3: return "mod_vlan_vid:" + r.nextInt(4096);
                case 4: return "mod_vlan_pcp:" + r.nextInt(8);
                case 5: return pick(r, List.of("strip_vlan", "pop_vlan", "push_vlan:0x8100", "push_vlan:0x88a8", "dec_ttl"));
                case 6: return pick(r, List.of("mod_dl_src:", "mod_dl_dst:")) + mac(r);
                case 7: return pick(r, List.of("mod_nw_src:", "mod_nw_dst:")) + ip4(r);
                case 8: return pick(r, List.of("mod_tp_src:", "mod_tp_dst:")) + r.nextInt(65536);
                case 9: return "mod_nw_tos:" + 4 * r.nextInt(64);
                case 10: return "mod_nw_ttl:" + r.nextInt(256);
                case 11: return "set_field:" + masked(r, 0xffffffffL) + "->" + pick(r, List.of("reg", "reg1")) + r.nextInt(6);
                case 12: return "set_field:" + masked(r, -1L) + "->metadata";
                case 13: return "set_field:" + mac(r) + (r.nextBoolean() ? "" : "/" + mac(r)) + "->" + pick(r, List.of("dl_src", "eth_dst"));
                case 14: return "set_field:" + masked(r, 0xffff) + "->vlan_tci";
                case 15: {
                    int a = r.nextInt(32), b = a + r.nextInt(32 - a);
                    long v = b - a == 63 ? r.nextLong() : r.nextLong() & ((1L << (b - a + 1)) - 1);
                    return "load:0x" + Long.toHexString(v) + "->" + pick(r, List.of("reg", "NXM_NX_REG")) + r.nextInt(16) + "[" + a + ".." + b + "]";
                }
                case 16: {
                    int w = 1 + r.nextInt(16), a = r.nextInt(33 - w), b = r.nextInt(33 - w);
                    return "move:reg" + r.nextInt(16) + "[" + a + ".." + (a + w - 1) + "]->reg" + r.nextInt(16) + "[" + b + ".." + (b + w - 1) + "]";
                }
                case 17: return "move:in_port[]->reg" + r.nextInt(8) + "[0..15]";
                case 18: return pick(r, List.of("resubmit(," + r.nextInt(255) + ")", "resubmit:" + (1 + r.nextInt(100)),
                        "resubmit(" + (1 + r.nextInt(100)) + "," + r.nextInt(255) + ")", "resubmit(" + r.nextInt(100) + ",)"));
                case 19: if (v4 || arp) return "set_field:" + ip4Masked(r) + "->" + (arp ? pick(r, List.of("arp_spa", "arp_tpa")) : pick(r, List.of("nw_src", "ip_dst"))); break;
                case 20: if (v6) return "set_field:" + ip6Masked(r) + "->" + pick(r, List.of("ipv6_src", "ipv6_dst")); break;
                case 21: if (v6) { int a = r.nextInt(128), b = a + r.nextInt(Math.min(64, 128 - a)); return "load:0x" + Long.toHexString(r.nextLong() & (b - a == 63 ? -1L : (1L << (b - a + 1)) - 1)) + "->ipv6_dst[" + a + ".." + b + "]"; } break;
                case 22: if (l4) return "set_field:" + masked(r, 0xffff) + "->" + pick(r, List.of("tp_src", "tp_dst")); break;
                case 23: if (v4 || v6) return pick(r, List.of("set_field:" + 4 * r.nextInt(64) + "->nw_tos", "set_field:" + r.nextInt(64) + "->ip_dscp", "set_field:" + r.nextInt(256) + "->nw_ttl")); break;
                case 24: if (v4) return "move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]"; break;
                case 25: if (tcp) return "load:" + r.nextInt(65536) + "->NXM_OF_TCP_DST[]"; break;
                case 26: if (nd != 0) return "set_field:" + ip6Masked(r) + "->nd_target"; break;
                case 27: if (nd != 0) {
                    String f = nd == 135 ? pick(r, List.of("nd_sll", "NXM_NX_ND_SLL", "OXM_OF_IPV6_ND_SLL")) : pick(r, List.of("nd_tll", "NXM_NX_ND_TLL"));
                    return switch (r.nextInt(4)) {
                        case 0 -> "set_field:" + mac(r) + (r.nextBoolean() ? "" : "/" + mac(r)) + "->" + (nd == 135 ? "nd_sll" : "nd_tll");
                        case 1 -> { int a = r.nextInt(48), b = a + r.nextInt(48 - a); yield "load:0x" + Long.toHexString(r.nextLong() & ((1L << (b - a + 1)) - 1)) + "->" + f + "[" + a + ".." + b + "]"; }
                        case 2 -> "move:" + f + "[]->" + pick(r, List.of("dl_src[]", "xreg3[0..47]"));
                        default -> "move:dl_dst[]->" + f + "[]";
                    };
                } break;
                case 28: if (nd != 0) return r.nextBoolean() ? "move:nd_target[]->xxreg" + r.nextInt(4) + "[]" : "move:xxreg" + r.nextInt(4) + "[]->nd_target[]"; break;
                default: break;
            }
        }
    }
}
