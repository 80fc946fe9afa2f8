package io.xvio.datapath.action;

import io.xvio.datapath.Field;
import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowSyntaxException;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The argument of learn(...) as ovs-ofctl writes it (OVS's learn_parse): KEY=VALUE settings and flow_mod specs
 * {@code FIELD[A..B]}, {@code FIELD[]=SRC[]}, {@code FIELD=VALUE}, {@code load:VALUE->DST[]}, {@code load:SRC[]->DST[]},
 * {@code output:SRC[]}. Checks as learn_check: sources need the learning flow's prerequisites, match and load
 * destinations the learned match's (an earlier {@code eth_type=}/{@code nw_proto=} spec), load destinations must be
 * writable, widths must agree.
 */
final class LearnParser {
    private final ActionArgs a;
    /** Immediate match values the learned flow will have so far (for destinations' prerequisites). */
    private final Map<Field, Long> exact = new HashMap<>();

    LearnParser(ActionArgs a) { this.a = a; }

    Learn run() {
        String arg = a.arg() == null ? "" : a.arg();
        int base = a.pos();
        int table = 1, idle = 0, hard = 0, finIdle = 0, finHard = 0, priority = Flow.DEFAULT_PRIORITY;
        long cookie = 0, limit = 0;
        boolean sendFlowRem = false, deleteLearned = false;
        Subfield result = null;
        List<LearnSpec> specs = new ArrayList<>();
        int start = 0;
        while (start <= arg.length()) {
            int comma = arg.indexOf(',', start);
            if (comma < 0) comma = arg.length();
            String tok = arg.substring(start, comma).strip();
            int pos = base + start;
            start = comma + 1;
            if (tok.isEmpty()) {
                if (comma == arg.length()) break;
                throw a.error(pos, "learn: empty argument");
            }
            int eq = tok.indexOf('=');
            String key = eq < 0 ? tok : tok.substring(0, eq), val = eq < 0 ? null : tok.substring(eq + 1);
            int vpos = pos + key.length() + 1;
            switch (key) {
                case "table" -> table = a.intIn(need(val, key, pos), vpos, 0, 254, "learn table");
                case "priority" -> priority = a.intIn(need(val, key, pos), vpos, 0, 65535, "learn priority");
                case "idle_timeout" -> idle = a.intIn(need(val, key, pos), vpos, 0, 65535, "learn idle_timeout");
                case "hard_timeout" -> hard = a.intIn(need(val, key, pos), vpos, 0, 65535, "learn hard_timeout");
                case "fin_idle_timeout" -> finIdle = a.intIn(need(val, key, pos), vpos, 0, 65535, "learn fin_idle_timeout");
                case "fin_hard_timeout" -> finHard = a.intIn(need(val, key, pos), vpos, 0, 65535, "learn fin_hard_timeout");
                case "cookie" -> cookie = a.unsigned(need(val, key, pos), vpos, 64, "learn cookie");
                case "limit" -> limit = a.unsigned(need(val, key, pos), vpos, 32, "learn limit");
                case "send_flow_rem" -> { noValue(val, key, pos); sendFlowRem = true; }
                case "delete_learned" -> { noValue(val, key, pos); deleteLearned = true; }
                case "result_dst" -> {
                    result = sub(need(val, key, pos), vpos, "learn result_dst");
                    if (!a.settable(result.field())) throw a.error(vpos, "learn: result_dst \"" + val + "\" is read-only");
                    if (result.nBits() != 1) throw a.error(vpos, "learn: result_dst must be a single bit, not \"" + val + "\"");
                }
                default -> specs.add(spec(tok, pos));
            }
        }
        if (finIdle != 0 || finHard != 0)
            throw a.error(base, "learn: fin_idle_timeout/fin_hard_timeout are not supported by xvio (no fin_timeout action)");
        return new Learn(table, idle, hard, finIdle, finHard, priority, cookie, sendFlowRem, deleteLearned, limit,
                result == null ? null : result.field(), result == null ? 0 : result.ofs(), specs);
    }

    private String need(String val, String key, int pos) {
        if (val == null || val.isEmpty()) throw a.error(pos, "learn: \"" + key + "\" needs a value");
        return val;
    }

    private void noValue(String val, String key, int pos) {
        if (val != null) throw a.error(pos, "learn: \"" + key + "\" takes no value");
    }

    private LearnSpec spec(String tok, int pos) {
        if (tok.startsWith("load:")) return load(tok.substring(5), pos + 5);
        if (tok.startsWith("output:")) {
            Subfield s = source(tok.substring(7), pos + 7);
            return new LearnSpec(LearnSpec.Kind.OUTPUT, s.field(), s.ofs(), 0, null, 0, s.nBits());
        }
        int eq = tok.indexOf('=');
        String name = eq < 0 ? tok : tok.substring(0, eq);
        Subfield d = narrow(sub(name, pos, "learn"), pos);
        int vpos = pos + eq + 1;
        needLearned(d, pos);
        if (eq < 0) return match(d, new LearnSpec(LearnSpec.Kind.MATCH, d.field(), d.ofs(), 0, d.field(), d.ofs(), d.nBits()));
        String v = tok.substring(eq + 1);
        if (v.isEmpty()) throw a.error(vpos, "learn: \"" + tok + "\" needs a value or a field after '='");
        if (looksLikeField(v)) {
            Subfield s = source(v, vpos);
            if (s.nBits() != d.nBits())
                throw a.error(vpos, "learn: bit widths of " + name + " (" + d.nBits() + ") and " + v + " (" + s.nBits() + ") differ");
            return match(d, new LearnSpec(LearnSpec.Kind.MATCH, s.field(), s.ofs(), 0, d.field(), d.ofs(), d.nBits()));
        }
        long imm;
        if (d.ofs() == 0 && d.nBits() == d.field().bits) {
            long[] vm = a.valueMask(d.field(), v, vpos, "learn " + name);
            if (vm[1] != d.field().fieldMask()) throw a.error(vpos, "learn: \"" + v + "\" must be a value, without a mask");
            imm = vm[0];
        } else {
            imm = value(v, vpos, d.nBits());
        }
        return match(d, new LearnSpec(LearnSpec.Kind.MATCH, null, 0, imm, d.field(), d.ofs(), d.nBits()));
    }

    /** Remembers an immediate that gives the whole field (eth_type, nw_proto) for later specs' prerequisites. */
    private LearnSpec match(Subfield d, LearnSpec s) {
        if (s.immediate() && s.dstOfs() == 0 && s.nBits() == d.field().bits) exact.put(d.field(), s.imm());
        return s;
    }

    private LearnSpec load(String v, int pos) {
        int arrow = v.indexOf("->");
        if (arrow == 0) throw a.error(pos, "learn: load: missing source before \"->\" in \"" + v + "\"");
        if (arrow < 0) throw a.error(pos, "learn: load: missing \"->\" in \"" + v + "\"");
        Subfield d = narrow(sub(v.substring(arrow + 2), pos + arrow + 2, "learn load"), pos + arrow + 2);
        if (!a.settable(d.field())) throw a.error(pos + arrow + 2, "learn: load: \"" + d.name() + "\" cannot be set");
        needLearned(d, pos + arrow + 2);
        String src = v.substring(0, arrow);
        if (!looksLikeField(src))
            return new LearnSpec(LearnSpec.Kind.LOAD, null, 0, value(src, pos, d.nBits()), d.field(), d.ofs(), d.nBits());
        Subfield s = source(src, pos);
        if (s.nBits() != d.nBits())
            throw a.error(pos, "learn: load: source is " + s.nBits() + " bits wide but destination is " + d.nBits() + " bits wide");
        return new LearnSpec(LearnSpec.Kind.LOAD, s.field(), s.ofs(), 0, d.field(), d.ofs(), d.nBits());
    }

    /** A source subfield: the learning flow's match must give its prerequisites. */
    private Subfield source(String v, int pos) {
        Subfield s = narrow(sub(v, pos, "learn"), pos);
        if (!a.inBucket()) a.needPrerequisites(s, "learn", pos);
        return s;
    }

    /**
     * A subfield; OXM_OF_IN_PORT (OVS's 32-bit in_port_oxm, what Neutron's learn outputs to) is in_port seen as 32
     * bits: {@link LearnSpec#OXM_IN_PORT_BITS} bits of {@link Field#IN_PORT}, whole only.
     */
    private Subfield sub(String s, int pos, String what) {
        int br = s.indexOf('[');
        String name = br < 0 ? s : s.substring(0, br);
        if (name.equalsIgnoreCase("OXM_OF_IN_PORT")) {
            if (br >= 0 && !s.substring(br).equals("[]")) throw a.error(pos, what + ": only all of OXM_OF_IN_PORT (\"OXM_OF_IN_PORT[]\") is supported");
            return new Subfield(Field.IN_PORT, name, 0, LearnSpec.OXM_IN_PORT_BITS);
        }
        return a.subfield(s, pos, what);
    }

    private Subfield narrow(Subfield s, int pos) {
        if (s.field().words() == 2)
            throw a.error(pos, "learn: 128-bit fields (\"" + s.name() + "\") are not supported by xvio");
        return s;
    }

    /** A number (decimal or 0x-hex) of at most bits bits. */
    private long value(String v, int pos, int bits) {
        BigInteger b = a.big(v, pos, "learn value");
        if (b.signum() < 0 || b.bitLength() > bits) throw a.error(pos, "learn: value " + v + " does not fit into " + bits + " bits");
        return b.longValue();
    }

    private static boolean looksLikeField(String v) {
        char c = v.charAt(0);
        if (!(Character.isLetter(c) || c == '_')) return false;
        return v.indexOf(':') < 0 && v.indexOf('.') < 0 || v.indexOf('[') > 0;    // a MAC or an address is a value
    }

    /** A learned match or load destination needs its prerequisites among the earlier immediates (learn_check). */
    private void needLearned(Subfield d, int pos) {
        long type = exact.getOrDefault(Field.DL_TYPE, -1L), proto = exact.getOrDefault(Field.NW_PROTO, -1L);
        boolean v4 = type == 0x0800, v6 = type == 0x86dd, arp = type == 0x0806;
        boolean ok = switch (d.field().prereq) {
            case NONE -> true;
            case IPV4_OR_ARP -> v4 || arp;
            case IP_OR_ARP -> v4 || v6 || arp;
            case IP -> v4 || v6;
            case IPV4 -> v4;
            case IPV6 -> v6;
            case ARP -> arp;
            case L4 -> (v4 || v6) && (proto == 6 || proto == 17 || proto == 132);
            case ICMP -> v4 && proto == 1 || v6 && proto == 58;
            case TCP -> (v4 || v6) && proto == 6;
        };
        if (!ok) throw a.error(pos, "learn: \"" + d.name() + "\" in the learned flow needs its prerequisites ("
                + d.field().prereq.name().toLowerCase(java.util.Locale.ROOT) + ": an earlier eth_type=/nw_proto= spec)");
    }
}
