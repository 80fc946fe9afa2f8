package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;
import io.xvio.packet.FlowKey;

import java.util.Arrays;
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
 * (dl_type, nw_proto, the ICMP type and code in tp_src/tp_dst, the VLAN tag, ct_state, the fragment bits). Shapes
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
        String text = fm.toFlow().text();
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

    private record Shape(int table, List<Action> actions, long[] masks, long[] deciding) {
        static Shape of(int table, Match match, List<Action> actions) {
            for (int w = FlowKey.TUN_ID; w < FlowKey.TUN_METADATA0 + FlowKey.TUN_METADATA_WORDS; w++) if (match.mask(w) != 0) return null;
            long[] m = match.maskCopy();
            long[] d = new long[DECIDING.length];
            for (int k = 0; k < d.length; k++) d[k] = match.value(DECIDING[k]) & m[DECIDING[k]];
            return new Shape(table, actions, m, d);
        }

        @Override public boolean equals(Object o) {
            return o instanceof Shape s && table == s.table && Arrays.equals(masks, s.masks) && Arrays.equals(deciding, s.deciding)
                    && actions.equals(s.actions);
        }

        @Override public int hashCode() { return (31 * table + Arrays.hashCode(masks)) * 31 + Arrays.hashCode(deciding) + actions.hashCode(); }
    }
}
