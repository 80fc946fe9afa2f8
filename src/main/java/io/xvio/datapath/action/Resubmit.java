package io.xvio.datapath.action;

import io.xvio.datapath.Flow;

/**
 * resubmit:PORT / resubmit(PORT,TABLE): looks the packet up again, with in_port=PORT for that lookup only (-1:
 * unchanged), in TABLE (-1: this one), runs what it finds, then goes on here. mayPacketIn: a miss of the lookup
 * may go to the controllers, as for a packet-out's output:TABLE ({@link #outputTable}); a resubmit's may not (OVS's
 * may_packet_in).
 */
public record Resubmit(int port, int table, boolean mayPacketIn) implements Action {
    public Resubmit(int port, int table) { this(port, table, false); }

    /** A packet-out's output:TABLE: the flow tables from table 0, as resubmit(,0) whose miss may go to the controllers. */
    public static Resubmit outputTable() { return new Resubmit(-1, 0, true); }

    static Action parse(ActionArgs a) {
        String arg = a.arg();
        int apos = a.pos();
        if (!a.parens()) {
            if (arg.equalsIgnoreCase("in_port")) throw a.error(apos, "resubmit:in_port resubmits to this same table forever; write resubmit(,T)");
            return new Resubmit(a.intIn(arg, apos, 0, 0xffff, "resubmit port"), -1);
        }
        String[] p = arg.split(",", -1);
        if (p.length > 2) throw a.error(apos, "resubmit takes (port,table); \"" + arg + "\" has extra arguments");
        String ps = p[0].strip(), ts = p.length > 1 ? p[1].strip() : "";
        int port = ps.isEmpty() || ps.equalsIgnoreCase("in_port") ? -1 : a.intIn(ps, apos, 0, 0xffff, "resubmit port");
        int t = ts.isEmpty() ? -1 : a.intIn(ts, apos + p[0].length() + 1, 0, Flow.TABLES - 1, "resubmit table");
        if (port < 0 && t < 0) throw a.error(apos, "resubmit(" + arg + ") needs a port or a table");
        return new Resubmit(port, t);
    }

    @Override public String format() {
        return table < 0 && port >= 0 ? "resubmit:" + port
                : "resubmit(" + (port < 0 ? "" : Integer.toString(port)) + "," + (table < 0 ? "" : Integer.toString(table)) + ")";
    }

    /** The flows it reaches may rewrite the packet. */
    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_RESUBMIT; }

    @Override public int translate(Xlate x, int i, int t, int inPort, int depth, boolean copy, boolean tail) {
        // as OVS: a resubmit to a later table does not deepen (the tables are finite; OVN's pipelines resubmit through
        // dozens of them, logical switch to router to switch), one to this or an earlier table does
        int to = table < 0 ? t : table;
        int d = to > t ? depth : depth + 1;
        return (mayPacketIn ? x.gotoTable(to, inPort, i, d, copy, tail) : x.lookup(to, inPort, port, i, d, copy, tail)) ? CONTINUE : DEAD;
    }
}
