package io.xvio.datapath.action;

import java.util.List;

/**
 * dec_ttl: decrements the IPv4 TTL / IPv6 hop limit. At TTL 1 or 0 the packet is counted as dropped and, as in OVS,
 * the rest of this flow's actions are skipped (a flow that resubmitted here goes on with its own); first it goes to
 * the controllers of ids as an invalid_ttl packet-in (to connections that asked for that reason).
 *
 * <p>As OVS's ofpact_cnt_ids: plain {@code dec_ttl} (and {@code dec_ttl()}) is controller id 0, {@code dec_ttl(1,2)}
 * lists its ids (listed: printed and encoded as NXAST_DEC_TTL_CNT_IDS, which may also carry no id at all, as
 * ovn-controller sends it).
 */
public record DecTtl(List<Integer> ids, boolean listed) implements Action {
    public DecTtl {
        ids = List.copyOf(ids);
        for (int id : ids) if (id < 0 || id > 0xffff) throw new IllegalArgumentException("dec_ttl: controller id " + id + " (0..65535)");
    }

    /** Plain dec_ttl: controller id 0. */
    public DecTtl() { this(List.of(0), false); }

    /** dec_ttl(ID,...): at least one id, as OVS's parser. */
    static DecTtl parse(ActionArgs a) {
        String arg = a.arg();
        if (arg == null || arg.isEmpty()) return new DecTtl();
        List<Integer> ids = new java.util.ArrayList<>();
        int pos = a.pos();
        for (String s : arg.split("[, ]+")) {
            if (!s.isEmpty()) ids.add(a.intIn(s, pos, 0, 0xffff, "dec_ttl controller id"));
            pos += s.length() + 1;
        }
        if (ids.isEmpty()) throw a.error(a.pos(), "dec_ttl: expected at least one controller id");
        return new DecTtl(ids, true);
    }

    /** Whether this is OVS's plain dec_ttl (OFPAT_DEC_NW_TTL on the wire). */
    public boolean plain() { return !listed && ids.equals(List.of(0)); }

    @Override public String format() {
        if (plain()) return "dec_ttl";
        StringBuilder s = new StringBuilder("dec_ttl(");
        for (int k = 0; k < ids.size(); k++) s.append(k == 0 ? "" : ",").append(ids.get(k));
        return s.append(')').toString();
    }

    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.DEC_TTL; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        if (x.decTtl(i)) return CONTINUE;
        for (int k = 0; k < ids.size(); k++) x.invalidTtl(i, ids.get(k), table);
        return STOP;
    }
}
