package io.xvio.datapath.action;

import io.xvio.datapath.meter.MeterConfig;

/**
 * meter:N (ovs-actions(7)): the packet goes through meter N of the bridge; a band that cannot take it drops it (for
 * good: nothing after the meter sees it) and counts it in meter-stats. As in OVS, a flow may name only a meter that
 * exists (add-flow fails with OFPMMFC_INVALID_METER) and deleting a meter deletes the flows that name it. The
 * megaflow cache keeps the meter as a datapath operation, so every packet of a cached flow is metered.
 */
public record Meter(long id) implements Action {
    static Action parse(ActionArgs a) {
        long m = a.unsigned(a.arg(), a.pos(), 32, "meter");
        if (m == 0 || m > MeterConfig.MAX_ID) throw a.error(a.pos(), "meter " + m + " is outside 1.." + MeterConfig.MAX_ID);
        return new Meter(m);
    }

    @Override public String format() { return "meter:" + id; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        return x.meter(i, id) ? CONTINUE : DEAD;
    }
}
