package io.xvio.datapath.action;

/** push_vlan:ETHERTYPE (0x8100 or 0x88a8): a new outer tag with VID 0, PCP 0. */
public record PushVlan(int ethertype) implements Action {
    static Action parse(ActionArgs a) {
        int t = a.intIn(a.arg(), a.pos(), 0, 0xffff, "push_vlan ethertype");
        if (t != 0x8100 && t != 0x88a8) throw a.error(a.pos(), "push_vlan ethertype must be 0x8100 or 0x88a8, not \"" + a.arg() + "\"");
        return new PushVlan(t);
    }

    @Override public String format() { return "push_vlan:0x" + Integer.toHexString(ethertype); }
    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.PUSH_VLAN; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.pushVlan(i, ethertype);
        return CONTINUE;
    }
}
