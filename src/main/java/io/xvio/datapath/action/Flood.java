package io.xvio.datapath.action;

/** FLOOD: every port but the input port (ALL is the same here: no port has flooding disabled). */
public record Flood(boolean all) implements Action {
    @Override public String format() { return all ? "ALL" : "FLOOD"; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_OUTPUT; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.flood(i, copy);
        return CONTINUE;
    }
}
