package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;
import io.xvio.packet.FlowKey;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The checks a flow given to the CLI passes (action prerequisites such as set_field on nw_src needing an IP match, a
 * VLAN tag for vlan_vid, goto_table forward), for a flow that came over OpenFlow: its text is parsed as the CLI's
 * would be. OVS answers a flow that fails them with OFPBAC_MATCH_INCONSISTENT.
 *
 * <p>Parsing every flow of a 100,000-flow add-flows cost a quarter of the time. Whether a flow passes depends only on
 * its shape: its table, its actions, which fields it matches (the masks) and the values that decide prerequisites
 * (dl_type, nw_proto, the ICMP type and code in tp_src/tp_dst (not a TCP or UDP port), the VLAN tag, ct_state, the
 * fragment bits). Shapes
 * that passed are remembered (at most {@link #MAX_SHAPES}; then forgotten all at once), so a bulk add parses one
 * flow per shape. A flow that fails is always parsed (its error names it). Flows with tunnel fields are parsed
 * every time: their text depends on the bridge's Geneve option map.
 */
final class CliCheck {
    static final int MAX_SHAPES = 4096;
    private static final int[] DECIDING = {FlowKey.DL_TYPE, FlowKey.NW_PROTO, FlowKey.TP_SRC, FlowKey.TP_DST,
            FlowKey.VLAN_TCI, FlowKey.CT_MISC, FlowKey.NW_FRAG};
    private static final Map<Shape, Boolean> PASSED = new ConcurrentHashMap<>();

    private CliCheck() {}

    /** Passes if the flow fm adds passes the CLI's checks; else OFPBAC_MATCH_INCONSISTENT. */
    static void check(FlowMod fm) {
        Shape s = Shape.of(Math.max(0, fm.table()), fm.match(), fm.actions());
        if (s != null && PASSED.containsKey(s)) return;
        // fm's match may be a scratch one (a bundle's add): what is kept, or made into a flow, is a copy
        Match own = fm.match().copy();
        if (s != null) s = s.with(own);
        String text = fm.withMatch(own).toFlow().text();
        try {
            FlowParser.parse(text);
        } catch (FlowSyntaxException e) {
            throw OfError.MATCH_INCONSISTENT.fail("\"" + text + "\": " + e.getMessage());
        }
        if (s != null) {
            if (PASSED.size() >= MAX_SHAPES) PASSED.clear();
            PASSED.put(s, Boolean.TRUE);
        }
    }

    /** Shapes remembered now (for tests). */
    static int shapes() { return PASSED.size(); }

    /** A flow's shape: its match is kept (immutable once decoded), compared by masks and deciding values only. */
    private static final class Shape {
        final int table, hash;
        final List<Action> actions;
        final Match match;

        private Shape(int table, List<Action> actions, Match match, int hash) {
            this.table = table;
            this.actions = actions;
            this.match = match;
            this.hash = hash;
        }

        static Shape of(int table, Match match, List<Action> actions) {
            for (int w = FlowKey.TUN_ID; w < FlowKey.TUN_METADATA0 + FlowKey.TUN_METADATA_WORDS; w++) if (match.mask(w) != 0) return null;
            int h = 31 * table + actions.hashCode();
            for (int w = 0; w < FlowKey.WORDS; w++) h = 31 * h + Long.hashCode(match.mask(w));
            boolean icmp = icmpOrUnknown(match);
            for (int w : DECIDING) h = 31 * h + Long.hashCode(deciding(match, w, icmp));
            return new Shape(table, actions, match, h);
        }

        @Override public boolean equals(Object o) {
            if (!(o instanceof Shape s) || hash != s.hash || table != s.table) return false;
            for (int w = 0; w < FlowKey.WORDS; w++) if (match.mask(w) != s.match.mask(w)) return false;
            boolean icmp = icmpOrUnknown(match);
            for (int w : DECIDING) if (deciding(match, w, icmp) != deciding(s.match, w, icmp)) return false;
            return actions.equals(s.actions);
        }

        /** Whether the match's nw_proto is ICMP or ICMPv6, or not pinned down (equal shapes agree: equal masks). */
        private static boolean icmpOrUnknown(Match m) {
            if (m.mask(FlowKey.NW_PROTO) != io.xvio.datapath.Field.NW_PROTO.fullMask()) return true;
            long p = io.xvio.datapath.Field.NW_PROTO.get(m.value(FlowKey.NW_PROTO));
            return p == 1 || p == 58;
        }

        /**
         * Word w's value as far as the checks see it: tp_src/tp_dst decide only as ICMP type and code (nd_target's
         * icmp_type=135/136); a TCP or UDP port does not, so 100,000 flows with distinct ports are one shape.
         */
        private static long deciding(Match m, int w, boolean icmp) {
            if (!icmp && (w == FlowKey.TP_SRC || w == FlowKey.TP_DST)) return 0;
            return m.value(w);                      // values are stored masked
        }

        /** This shape holding m (equal to its match) instead. */
        Shape with(Match m) { return new Shape(table, actions, m, hash); }

        @Override public int hashCode() { return hash; }
    }
}
