package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** push:FIELD[A..B]: pushes the bits onto the packet's register stack (OVS's stack; 64 entries here). */
public record StackPush(Field field, int ofs, int nBits) implements Action {
    static Action parse(ActionArgs a) {
        Subfield sf = a.subfield(a.arg(), a.pos(), "push").narrowed();
        if (sf.field().words() == 2) throw a.error(a.pos(), "push: 128-bit fields (\"" + sf.name() + "\") are not supported");
        a.needPrerequisites(sf, "push", a.pos());
        return new StackPush(sf.field(), sf.ofs(), sf.nBits());
    }

    @Override public String format() { return "push:" + Subfield.format(field, ofs, nBits); }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.stackPush(x.read(i, field, ofs, nBits));
        return CONTINUE;
    }
}
