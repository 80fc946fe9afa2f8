package io.xvio.datapath.action;

/** NORMAL: the L2 learning switch with VLAN handling. It may retag the packet, so it counts as a rewrite. */
public record Normal() implements Action {
    @Override public String format() { return "NORMAL"; }
    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_OUTPUT; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.normal(i, inPort, copy);
        return CONTINUE;
    }
}
