package io.xvio.datapath.action;

import io.xvio.datapath.Flow;

/** goto_table:T (the OpenFlow 1.1+ instruction; T must be a later table): the last action of a flow. */
public record GotoTable(int table) implements Action {
    static Action parse(ActionArgs a) {
        int t = a.intIn(a.arg(), a.pos(), 0, Flow.TABLES - 1, "goto_table");
        int from = Math.max(a.table(), 0);
        if (t <= from) throw a.error(a.pos(), "goto_table:" + t + " must name a later table than this flow's table " + from);
        return new GotoTable(t);
    }

    @Override public String format() { return "goto_table:" + table; }
    @Override public boolean modifies() { return true; }

    @Override public int translate(Xlate x, int i, int t, int inPort, int depth, boolean copy, boolean tail) {
        return x.gotoTable(table, inPort, i, depth + 1, copy, tail) ? STOP : DEAD;
    }
}
