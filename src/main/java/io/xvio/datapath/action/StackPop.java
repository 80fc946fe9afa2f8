package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** pop:FIELD[A..B]: pops the register stack into the bits; popping an empty stack does nothing (as OVS). */
public record StackPop(Field field, int ofs, int nBits) implements Action {
    static Action parse(ActionArgs a) {
        Subfield sf = a.subfield(a.arg(), a.pos(), "pop").narrowed();
        if (sf.field().words() == 2 && !StackPush.whole128(sf))
            throw a.error(a.pos(), "pop: part of a 128-bit field (\"" + sf.name() + "\") is not supported (all of it, or bits within one half of an xxreg, are)");
        if (!a.settable(sf.field())) throw a.error(a.pos(), "pop: \"" + sf.name() + "\" cannot be set");
        a.needPrerequisites(sf, "pop", a.pos());
        return new StackPop(sf.field(), sf.ofs(), sf.nBits());
    }

    @Override public String format() { return "pop:" + Subfield.format(field, ofs, nBits); }
    @Override public boolean modifies() { return true; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        if (x.stackEmpty()) return CONTINUE;
        if (field.words() == 2) {               // what a 128-bit push left: the low half on top
            long lo = x.stackPop();
            if (x.stackEmpty()) return CONTINUE;
            x.set(i, field, x.stackPop(), -1L, lo, -1L);
            return CONTINUE;
        }
        int to = field.shift + ofs;
        long mask = Subfield.bits(nBits) << to;
        x.set(i, field, (x.stackPop() << to) & mask, mask, 0, 0);
        return CONTINUE;
    }
}
