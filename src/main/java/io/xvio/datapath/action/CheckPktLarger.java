package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/**
 * check_pkt_larger(N)->FIELD[B]: writes 1 into the one-bit destination if the packet (its whole frame, as it is at
 * this action; a GSO frame's segments) is longer than N bytes, else 0. The outcome depends on the packet's length,
 * which the flow key does not hold: a cached translation through it carries a length guard (MegaflowCache.Entry's
 * guardNeed) and holds only for packets of the same outcome.
 */
public record CheckPktLarger(int pktLen, Field field, int ofs) implements Action {
    static Action parse(ActionArgs a) {
        String arg = a.arg();
        int close = arg.indexOf(")->");
        if (!a.parens() || close < 0)
            throw a.error(a.pos(), "check_pkt_larger takes (LENGTH)->FIELD[BIT], e.g. check_pkt_larger(1500)->reg0[0], not \"" + a.token() + "\"");
        int len = a.intIn(arg.substring(0, close).strip(), a.pos(), 0, 0xffff, "check_pkt_larger length");
        int dpos = a.pos() + close + 3;
        Subfield dst = a.subfield(arg.substring(close + 3), dpos, "check_pkt_larger");
        if (dst.nBits() != 1) throw a.error(dpos, "check_pkt_larger: only a 1-bit destination field is allowed (\"" + arg.substring(close + 3) + "\")");
        if (!a.settable(dst.field())) throw a.error(dpos, "check_pkt_larger: \"" + dst.name() + "\" cannot be set");
        a.needPrerequisites(dst, "check_pkt_larger", dpos);
        return new CheckPktLarger(len, dst.field(), dst.ofs());
    }

    @Override public String format() { return "check_pkt_larger(" + pktLen + ")->" + field.ofName + "[" + ofs + "]"; }

    /** It writes a field, which may be a packet header. */
    @Override public boolean modifies() { return true; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        long bit = x.lengthAtLeast(i, pktLen + 1) ? 1 : 0;
        int at = field.shift + ofs;
        x.set(i, field, bit << at, 1L << at, 0, 0);
        return CONTINUE;
    }
}
