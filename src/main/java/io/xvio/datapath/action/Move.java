package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** move:SRC[A..B]->DST[C..D]: copies nBits bits between fields (of at most 64 bits each). */
public record Move(Field src, int srcOfs, Field dst, int dstOfs, int nBits) implements Action {
    static Action parse(ActionArgs a) {
        String arg = a.arg();
        int apos = a.pos(), arrow = arg.indexOf("->");
        if (arrow < 0) throw a.error(apos, "move needs \"SRC[]->DST[]\", not \"" + arg + "\"");
        int dpos = apos + arrow + 2;
        Subfield s = a.subfield(arg.substring(0, arrow), apos, "move").narrowed();
        Subfield d = a.subfield(arg.substring(arrow + 2), dpos, "move").narrowed();
        // all of one 128-bit field into all of another (OVN: xxreg0 = ip6.dst)
        if (s.field().words() == 2 && d.field().words() == 2 && StackPush.whole128(s) && StackPush.whole128(d) && d.field() != Field.CT_LABEL) {
            if (!a.settable(d.field())) throw a.error(dpos, "move: \"" + d.name() + "\" cannot be set");
            a.needPrerequisites(s, "move", apos);
            a.needPrerequisites(d, "move", dpos);
            return new Move(s.field(), 0, d.field(), 0, 128);
        }
        if (s.field().words() == 2) throw a.error(apos, "move: 128-bit fields (\"" + s.name() + "\") are not supported");
        // into ct_label inside ct(exec(...)): within one 64-bit half (Ct resolves the move when it translates)
        boolean label = d.field() == Field.CT_LABEL && (d.ofs() >= 64 || d.ofs() + d.nBits() <= 64) && a.settable(d.field());
        if (d.field().words() == 2 && !label) throw a.error(dpos, "move: 128-bit fields (\"" + d.name() + "\") are not supported");
        if (!a.settable(d.field())) throw a.error(dpos, "move: \"" + d.name() + "\" cannot be set");
        a.needPrerequisites(s, "move", apos);
        a.needPrerequisites(d, "move", dpos);
        if (d.field() == Field.NW_TOS && d.ofs() < 2)
            throw a.error(dpos, "move: bits 0..1 of nw_tos are the ECN bits and cannot be written (the DSCP is bits 2..7)");
        if (s.nBits() != d.nBits())
            throw a.error(apos, "move: source is " + s.nBits() + " bits wide but destination is " + d.nBits() + " bits wide");
        return new Move(s.field(), s.ofs(), d.field(), d.ofs(), s.nBits());
    }

    @Override public String format() { return "move:" + Subfield.format(src, srcOfs, nBits) + "->" + Subfield.format(dst, dstOfs, nBits); }
    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.SET; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        if (nBits == 128) {                     // whole 128-bit field to whole 128-bit field
            x.set(i, dst, x.read(i, src, 0, 64), -1L, x.readLo(i, src), -1L);
            return CONTINUE;
        }
        long v = x.read(i, src, srcOfs, nBits);
        int to = dst.shift + dstOfs;
        long mask = Subfield.bits(nBits) << to;
        x.set(i, dst, v << to, mask, 0, 0);
        return CONTINUE;
    }
}
