package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** output:FIELD[A..B]: output to the OpenFlow port the field's bits hold (OVS's output_reg). */
public record OutputReg(Field field, int ofs, int nBits) implements Action {
    static Action parse(ActionArgs a) {
        Subfield sf = a.subfield(a.arg(), a.pos(), "output");
        if (sf.nBits() > 16 || sf.field().words() == 2)
            throw a.error(a.pos(), "output: a port field is at most 16 bits (\"" + a.arg() + "\" is " + sf.nBits() + ")");
        a.needPrerequisites(sf, "output", a.pos());
        return new OutputReg(sf.field(), sf.ofs(), sf.nBits());
    }

    @Override public String format() { return "output:" + Subfield.format(field, ofs, nBits); }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.output((int) x.read(i, field, ofs, nBits), i, copy);
        return CONTINUE;
    }
}
