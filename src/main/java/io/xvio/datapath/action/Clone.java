package io.xvio.datapath.action;

import java.util.List;

/** clone(ACTIONS): runs ACTIONS on a copy of the packet; the flow's actions go on with the packet as it was. */
public record Clone(List<Action> actions) implements Action {
    public Clone { actions = List.copyOf(actions); }

    /** Parsed with this flow's match, so the inner actions' prerequisites are checked against it. */
    static Action parse(ActionArgs a) {
        List<Action> acts = a.nested(a.arg(), a.pos());
        for (Action x : acts)
            if (!canHold(x))
                throw a.error(a.pos(), "clone(...) cannot hold \"" + x.format() + "\"");
        return new Clone(acts);
    }

    /**
     * Whether a clone may hold x: not the instructions (goto_table, write_metadata) nor a conjunction clause, nor
     * controller(pause) (xvio cannot make a continuation from inside a clone).
     */
    public static boolean canHold(Action x) {
        return !(x instanceof GotoTable || x instanceof WriteMetadata || x instanceof Conjunction || x instanceof Controller c && c.pause());
    }

    @Override public String format() { return "clone(" + ActionSyntax.format(actions) + ")"; }

    /** Whether acts must run on a copy: they rewrite the packet, or a meter among them (nested too) may drop it. */
    static boolean needsCopy(List<Action> acts) {
        for (Action a : acts)
            if (a.modifies() || a instanceof Meter || (a instanceof Clone c && needsCopy(c.actions()))) return true;
        return false;
    }

    /** Without rewrites (or a meter) the clone runs on the packet itself (no copy); else on a copy whose fate is its own. */
    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        long stack = x.stackEnter();          // as OVS 3.1: the clone works on a copy of the stack, the flow's comes back after
        try {
            if (needsCopy(actions)) x.executeOnCopy(actions, table, inPort, i, depth + 1);
            else x.execute(actions, table, inPort, i, depth + 1, copy, tail);
        } finally {
            x.stackLeave(stack);
        }
        return CONTINUE;
    }
}
