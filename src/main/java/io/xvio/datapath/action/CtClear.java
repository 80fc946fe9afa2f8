package io.xvio.datapath.action;

/** ct_clear: clears the packet's connection-tracking state (ct_state and the other ct_* fields go back to 0). */
public record CtClear() implements Action {
    @Override public String format() { return "ct_clear"; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_CT_CLEAR; }
    /** It changes the packet's metadata: inside a clone it runs on the copy (OVS restores the flow after a clone). */
    @Override public boolean modifies() { return true; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.ctClear(i);
        return CONTINUE;
    }
}
