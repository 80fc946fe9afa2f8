package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** push:FIELD[A..B]: pushes the bits onto the packet's register stack (OVS's stack; 64 entries here). */
public record StackPush(Field field, int ofs, int nBits) implements Action {
    static Action parse(ActionArgs a) {
        Subfield sf = a.subfield(a.arg(), a.pos(), "push").narrowed();
        if (sf.field().words() == 2 && !whole128(sf))
            throw a.error(a.pos(), "push: part of a 128-bit field (\"" + sf.name() + "\") is not supported (all of it, or bits within one half of an xxreg, are)");
        a.needPrerequisites(sf, "push", a.pos());
        return new StackPush(sf.field(), sf.ofs(), sf.nBits());
    }

    @Override public String format() { return "push:" + Subfield.format(field, ofs, nBits); }

    /** A whole 128-bit field (xxreg, an IPv6 address: OVN pushes them around lookups); it takes two stack entries. */
    static boolean whole128(Subfield sf) { return sf.ofs() == 0 && sf.nBits() == 128; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        if (field.words() == 2) {               // high half, then low half (pop takes them back in reverse)
            x.stackPush(x.read(i, field, 0, 64));
            x.stackPush(x.readLo(i, field));
            return CONTINUE;
        }
        x.stackPush(x.read(i, field, ofs, nBits));
        return CONTINUE;
    }
}
