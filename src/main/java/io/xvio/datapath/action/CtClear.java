package io.xvio.datapath.action;

/** ct_clear: clears the packet's connection-tracking state (no tracker is wired yet: nothing to clear). */
public record CtClear() implements Action {
    @Override public String format() { return "ct_clear"; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_CT_CLEAR; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        return CONTINUE;
    }
}
