package io.xvio.openflow;

import io.xvio.datapath.ActionOutputs;
import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowSpec;
import io.xvio.datapath.action.Action;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Applies a decoded flow_mod to a switch as the CLI's flow commands do: add (check_overlap), modify and delete,
 * strict or not. The same code runs against the bridge (a flow_mod alone) and against a bundle's staged copy
 * ({@link StagedSwitch}), so a bundled flow_mod fails or succeeds exactly as it would alone.
 */
final class FlowMods {
    /** The connections' logger, which logs what apply returns (at FINE). */
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("xvio.openflow");

    private FlowMods() {}

    /** What a flow_mod tells the connections afterwards (flow_removed bookkeeping). */
    interface Events {
        void flowAdded(Flow f, boolean sendFlowRemoved);

        void flowsRemoved(List<Flow> flows, int reason);

        Events NONE = new Events() {
            @Override public void flowAdded(Flow f, boolean sendFlowRemoved) {}
            @Override public void flowsRemoved(List<Flow> flows, int reason) {}
        };
    }

    /**
     * The cookie an add with the all-ones cookie gives its flow: an identical flow's (same table, priority and match),
     * which it keeps, else the all-ones cookie itself (OVS's replace_rule_start changes the cookie only when the new
     * one is not all-ones). A scan of the table: such adds are rare, and never batched (OfConnection, BundleCommit).
     */
    static long cookieOfIdentical(OfSwitch sw, Flow f) {
        for (Flow o : sw.flows()) if (o.table == f.table && o.priority == f.priority && o.match.equals(f.match)) return o.cookie;
        return FlowMod.NO_COOKIE;
    }

    /** Applies fm to sw inside sw.change; returns a line for the log. */
    static String apply(FlowMod fm, OfSwitch sw, Events ev) { return apply(fm, sw, ev, false); }

    /** As {@link #apply(FlowMod, OfSwitch, Events)}; cliChecked: {@link CliCheck#check} passed already (a bundle's add). */
    static String apply(FlowMod fm, OfSwitch all, Events ev, boolean cliChecked) {
        // a strict flow_mod of one table can only select the flows of its key: a staged copy finds them by it
        OfSwitch sw = all instanceof StagedSwitch st && fm.strict() && fm.table() >= 0 ? st.exactly(fm.table(), fm.priority(), fm.match()) : all;
        if (fm.bufferId() != FlowMod.NO_BUFFER && fm.command() < FlowMod.DELETE) throw OfError.BUFFER_UNKNOWN.fail("buffer " + fm.bufferId() + " (xvio buffers no packets)");
        FlowSpec spec = new FlowSpec(fm.table() < 0 ? FlowSpec.ALL_TABLES : fm.table(), fm.priority(), fm.cookie(), fm.cookieMask(),
                fm.match(), fm.outPort(), fm.strict(), null, "", false);
        long group = fm.outGroup();
        Predicate<Flow> selected = group == FlowMod.ANY_GROUP ? spec::selects : f -> spec.selects(f) && ActionOutputs.toGroup(f.actions, group);
        if (fm.command() < FlowMod.DELETE && !cliChecked) CliCheck.check(fm);
        switch (fm.command()) {
            case FlowMod.ADD -> {
                Flow[] made = {fm.toFlow()};
                sw.change(() -> {
                    if (fm.newCookie() == FlowMod.NO_COOKIE) made[0] = fm.toFlow(cookieOfIdentical(sw, made[0]));
                    Flow f = made[0];
                    if ((fm.flags() & FlowMod.CHECK_OVERLAP) != 0) {
                        // an identical flow (same match too) is replaced, not an overlap (OVS's add_flow_start)
                        for (Flow o : sw.flows())
                            if (o.table == f.table && o.priority == f.priority && !o.match.equals(f.match) && overlap(o, f))
                                throw OfError.OVERLAP.fail("flow overlaps " + o);
                    }
                    sw.addFlows(List.of(f), fm.resetCounts());
                    return null;
                });
                Flow f = made[0];
                ev.flowAdded(f, (fm.flags() & FlowMod.SEND_FLOW_REM) != 0);
                // the line is logged at FINE only: formatting each flow of a large bundle for nothing cost a sixth of it
                return LOG.isLoggable(java.util.logging.Level.FINE) ? "add " + f.text() : "add";
            }
            case FlowMod.MODIFY, FlowMod.MODIFY_STRICT -> {
                List<Action> actions = fm.actions();
                int n = sw.change(() -> {
                    int k = sw.modifyFlows(selected, actions, fm.resetCounts(), fm.newCookie());
                    // a modify that selects nothing may add the flow (OVS's modify_may_add_flow: see FlowMod.mayAdd)
                    if (k == 0 && fm.mayAdd()) sw.addFlows(List.of(fm.toFlow()));
                    return k;
                });
                return "modified " + n + " flow(s)";
            }
            default -> {
                List<Flow> gone = new ArrayList<>();
                int n = sw.change(() -> {
                    for (Flow f : sw.flows()) if (selected.test(f)) gone.add(f);
                    return sw.deleteFlows(selected);
                });
                ev.flowsRemoved(gone, AsyncConfig.RR_DELETE);
                return "deleted " + n + " flow(s)";
            }
        }
    }

    static boolean overlap(Flow a, Flow b) {
        for (int w = 0; w < io.xvio.packet.FlowKey.WORDS; w++) {
            long both = a.match.mask(w) & b.match.mask(w);
            if (((a.match.value(w) ^ b.match.value(w)) & both) != 0) return false;
        }
        return true;
    }
}
