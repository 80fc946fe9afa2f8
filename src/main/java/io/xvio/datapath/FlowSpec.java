package io.xvio.datapath;

import io.xvio.datapath.action.*;

import java.util.List;

/**
 * A flow selection as del-flows, mod-flows and dump-flows take it (ovs-ofctl(8) "flow syntax" without, or for
 * mod-flows with, actions). {@link #selects} implements the OpenFlow rules:
 * <ul>
 *   <li>non-strict: a flow is selected if its match is at least as specific as this one (every packet it
 *       matches, this spec matches too); priority is ignored;</li>
 *   <li>strict: the flow's match equals this one exactly, with the same priority;</li>
 *   <li>both: the flow is in {@code table} (or any table when it is {@link #ALL_TABLES}), its cookie equals
 *       {@code cookie} under {@code cookieMask} (mask 0: any cookie), and, if {@code outPort} is set, one of its
 *       actions outputs to that port ({@link ActionOutputs#toPort}).</li>
 * </ul>
 *
 * @param table      the table, or {@link #ALL_TABLES}
 * @param priority   the priority strict selection compares (32768 unless given)
 * @param cookie     cookie value, already masked
 * @param cookieMask which cookie bits must equal; {@code cookie=V} without a mask means all bits
 * @param match      the match
 * @param outPort    {@code out_port=N}, or -1
 * @param strict     strict (--strict) or non-strict selection
 * @param actions    the actions given after {@code actions=} (mod-flows), or null when there were none
 * @param text       the spec as written
 * @param resetCounts mod-flows' {@code reset_counts} flag: modified flows start their counters from zero
 */
public record FlowSpec(int table, int priority, long cookie, long cookieMask, Match match, int outPort, boolean strict,
                       List<Action> actions, String text, boolean resetCounts) {
    public static final int ALL_TABLES = -1;

    public FlowSpec {
        if (actions != null) actions = List.copyOf(actions);
    }

    /** Whether the spec had {@code actions=} (del-flows and dump-flows reject that; mod-flows needs it). */
    public boolean hasActions() { return actions != null; }

    public boolean selects(Flow f) {
        if (table != ALL_TABLES && f.table != table) return false;
        if ((f.cookie & cookieMask) != (cookie & cookieMask)) return false;
        if (outPort >= 0 && !ActionOutputs.toPort(f.actions, outPort)) return false;
        if (strict) return f.priority == priority && f.match.equals(match);
        return f.match.isSubsetOf(match);
    }
}
