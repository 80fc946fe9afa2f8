package io.xvio.datapath.action;

/**
 * dec_ttl: decrements the IPv4 TTL / IPv6 hop limit. At TTL 1 or 0 the packet is counted as dropped and, as in OVS,
 * the rest of this flow's actions are skipped (a flow that resubmitted here goes on with its own).
 */
public record DecTtl() implements Action {
    @Override public String format() { return "dec_ttl"; }
    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.DEC_TTL; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        return x.decTtl(i) ? CONTINUE : STOP;
    }
}
