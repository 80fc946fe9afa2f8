package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** write_metadata:VALUE[/MASK] (an instruction: only goto_table may follow it). */
public record WriteMetadata(long value, long mask) implements Action {
    static Action parse(ActionArgs a) {
        long[] vm = a.valueMask(Field.METADATA, a.arg(), a.pos(), "write_metadata");
        return new WriteMetadata(vm[0], vm[1]);
    }

    @Override public String format() {
        return "write_metadata:0x" + Long.toHexString(value) + (mask == -1L ? "" : "/0x" + Long.toHexString(mask));
    }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.writeMetadata(i, value, mask);
        return CONTINUE;
    }
}
