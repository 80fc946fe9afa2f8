package io.xvio.datapath.action;

/** strip_vlan / pop_vlan: removes the outer VLAN tag, if any. */
public record StripVlan() implements Action {
    @Override public String format() { return "strip_vlan"; }
    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.STRIP_VLAN; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.stripVlan(i);
        return CONTINUE;
    }
}
