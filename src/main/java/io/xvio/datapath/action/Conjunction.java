package io.xvio.datapath.action;

/**
 * conjunction(ID,K/N): this flow is clause K of N of conjunctive match ID (resolved by the classifier); a flow with
 * conjunction actions has no other actions, and is never itself the result of a lookup.
 */
public record Conjunction(long id, int clause, int nClauses) implements Action {
    /** 1 <= K <= N, 2 <= N <= 64 (OVS's limits). */
    static Action parse(ActionArgs a) {
        String arg = a.arg();
        int apos = a.pos(), comma = arg.indexOf(','), slash = arg.indexOf('/');
        if (comma < 0 || slash < comma) throw a.error(apos, "conjunction takes (ID,K/N), e.g. conjunction(10,1/2), not \"" + arg + "\"");
        long id = a.unsigned(arg.substring(0, comma).strip(), apos, 32, "conjunction id");
        int n = a.intIn(arg.substring(slash + 1).strip(), apos + slash + 1, 2, 64, "conjunction clause count N");
        int k = a.intIn(arg.substring(comma + 1, slash).strip(), apos + comma + 1, 1, n, "conjunction clause K");
        return new Conjunction(id, k, n);
    }

    @Override public String format() { return "conjunction(" + id + "," + clause + "/" + nClauses + ")"; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        return CONTINUE;
    }
}
