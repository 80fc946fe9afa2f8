package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Clone;
import io.xvio.datapath.action.DecTtl;
import io.xvio.datapath.action.PushVlan;
import io.xvio.datapath.action.SetField;
import io.xvio.datapath.action.StripVlan;
import io.xvio.packet.FlowKey;

import java.util.List;

/**
 * The prerequisites of actions that came over OpenFlow which xvio's flow text cannot carry, checked against the
 * flow's match as OVS's ofpacts_check does (OFPBAC_MATCH_INCONSISTENT); {@link CliCheck} checks the rest.
 * <ul>
 * <li>A set_field, reg_load, reg_load2, move, push, pop or output_reg names its field by OXM/NXM header, and OVS
 * checks that field's own prerequisite: set_field tcp_dst on a udp flow, or icmpv4_type on an icmp6 one, is refused,
 * though both are the same key bits in xvio (and print as mod_tp_dst or icmp_type, which the text check lets pass).
 * The headers' needs are noted while the actions are decoded and checked once the match is known.</li>
 * <li>Over OpenFlow 1.1 and later, the actions OVS allows without a fitting match only in OpenFlow 1.0
 * (inconsistent_match): dec_ttl and set_nw_ttl need an IP match, pop_vlan a VLAN tag (matched or pushed before).</li>
 * <li>A set_field of OXM vlan_vid or vlan_pcp needs a tag where it runs (xvio's text for it, mod_vlan_vid, pushes one).</li>
 * </ul>
 * A decode is one message on one thread: the notes are per thread, between {@link #open} and {@link Notes#close}.
 */
final class ActionPrereqs {
    private ActionPrereqs() {}

    private static final ThreadLocal<Notes> CURRENT = new ThreadLocal<>();

    /** Starts noting the needs of the actions this thread decodes next (until the notes are closed). */
    static Notes open() {
        Notes n = new Notes(CURRENT.get());
        CURRENT.set(n);
        return n;
    }

    /** An action decoded now names field entry e (as set_field, load, move, push, pop or output_reg). */
    static void note(Oxm.Entry e) {
        Notes n = CURRENT.get();
        if (n != null && e.need() != Oxm.Need.NONE && e.need() != Oxm.Need.VLAN) n.add(e.need(), name(e));
    }

    /** An action decoded now needs need ({@code what} names it in the error). */
    static void note(Oxm.Need need, String what) {
        Notes n = CURRENT.get();
        if (n != null) n.add(need, what);
    }

    /**
     * set_field s (decoded now, of OXM vlan_vid or vlan_pcp) needs a VLAN tag where it runs: matched, or pushed by an
     * action before it. Known by identity: xvio's text for it (mod_vlan_vid) would push a tag instead.
     */
    static SetField noteNeedsTag(SetField s, String name) {
        Notes n = CURRENT.get();
        if (n != null) n.tagged.put(s, name);
        return s;
    }

    /** OVS's name for the field behind entry e (tcp_src and udp_src are both tp_src in xvio). */
    static String name(Oxm.Entry e) {
        Field f = e.target();
        String end = f == Field.TP_SRC ? "_src" : f == Field.TP_DST ? "_dst" : null;
        if (end != null) return e.need().name().toLowerCase(java.util.Locale.ROOT) + end;
        if (f == Field.ICMP_TYPE || f == Field.ICMP_CODE)
            return (e.need() == Oxm.Need.ICMP6 ? "icmpv6_" : "icmp_") + (f == Field.ICMP_TYPE ? "type" : "code");
        if (f == Field.NW_SRC || f == Field.NW_DST) return f == Field.NW_SRC ? "ip_src" : "ip_dst";
        if (e.kind() == Oxm.Kind.DSCP) return "ip_dscp";
        return f.ofName;
    }

    /** The needs noted since {@link #open}. */
    static final class Notes implements AutoCloseable {
        private final Notes outer;
        private Oxm.Need[] needs = new Oxm.Need[4];
        private String[] names = new String[4];
        private int n;
        private final java.util.IdentityHashMap<SetField, String> tagged = new java.util.IdentityHashMap<>();

        private Notes(Notes outer) { this.outer = outer; }

        private void add(Oxm.Need need, String name) {
            for (int i = 0; i < n; i++) if (needs[i] == need && names[i].equals(name)) return;
            if (n == needs.length) {
                needs = java.util.Arrays.copyOf(needs, 2 * n);
                names = java.util.Arrays.copyOf(names, 2 * n);
            }
            needs[n] = need;
            names[n++] = name;
        }

        /**
         * Passes if match m gives every noted need and, for version 1.1 or later, what actions need there; else
         * OFPBAC_MATCH_INCONSISTENT naming the first that fails.
         */
        void check(Match m, List<Action> actions, int version) {
            for (int i = 0; i < n; i++)
                if (!Oxm.satisfied(m, needs[i]))
                    throw OfError.MATCH_INCONSISTENT.fail(names[i] + " lacks correct prerequisites (needs " + needs[i] + " in the match)");
            if (version != OfVersion.OF10 || !tagged.isEmpty()) walk(m, actions, hasTag(m), version != OfVersion.OF10);
        }

        /**
         * The checks that follow the actions in order (a push_vlan gives the set_field vlan_vid or pop_vlan after it a
         * tag): set_field vlan_vid/vlan_pcp always, and if inconsistent (1.1+) OVS's inconsistent_match cases.
         */
        private boolean walk(Match m, List<Action> actions, boolean tag, boolean inconsistent) {
            for (Action a : actions) {
                switch (a) {
                    case DecTtl d when inconsistent -> needIp(m, "dec_ttl");
                    case SetField s when inconsistent && s.field() == Field.NW_TTL -> needIp(m, "set_nw_ttl");
                    case PushVlan p -> tag = true;
                    case SetField s when tagged.containsKey(s) -> {
                        if (!tag) throw OfError.MATCH_INCONSISTENT.fail("set_field " + tagged.get(s) + " lacks correct prerequisites (no VLAN tag"
                                + " is matched or pushed before it)");
                    }
                    case SetField s when s.field() == Field.VLAN_TCI && (s.mask() & FlowKey.VLAN_PRESENT) != 0 ->
                            tag = (s.value() & FlowKey.VLAN_PRESENT) != 0;
                    case StripVlan s -> {
                        if (inconsistent && !tag)
                            throw OfError.MATCH_INCONSISTENT.fail("pop_vlan on a flow that matches no VLAN tag (OpenFlow 1.0 allows it, 1.1+ do not)");
                        tag = false;
                    }
                    case Clone c -> walk(m, c.actions(), tag, inconsistent);
                    default -> { }
                }
            }
            return tag;
        }

        @Override public void close() { CURRENT.set(outer); }
    }

    private static boolean hasTag(Match m) {
        return (m.mask(FlowKey.VLAN_TCI) & m.value(FlowKey.VLAN_TCI) & FlowKey.VLAN_PRESENT) != 0;
    }

    private static void needIp(Match m, String what) {
        if (!Oxm.satisfied(m, Oxm.Need.IP))
            throw OfError.MATCH_INCONSISTENT.fail(what + " on a flow that matches neither ip nor ipv6 (OpenFlow 1.0 allows it, 1.1+ do not)");
    }
}
