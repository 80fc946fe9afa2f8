package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** FIELD[A..B] as actions write it: nBits bits of field from bit ofs; name as written. */
public record Subfield(Field field, String name, int ofs, int nBits) {
    /** The ovs-ofctl text: FIELD[A..B]. */
    public static String format(Field f, int ofs, int nBits) {
        return f.ofName + "[" + ofs + ".." + (ofs + nBits - 1) + "]";
    }

    /**
     * The same bits in a 64-bit field when they lie in one half of a 128-bit register: xxregN's bits 64..127 are
     * xreg(2N), its bits 0..63 xreg(2N+1), as OVS lays them out (ovn-controller moves single bits of xxreg0, e.g.
     * {@code move:reg10[12]->xxreg0[111]}). Any other subfield is returned as it is.
     */
    public Subfield narrowed() {
        if (field.words() != 2 || !field.name().startsWith("XXREG")) return this;
        int n = field.name().charAt(5) - '0';
        if (ofs >= 64) return new Subfield(Field.valueOf("XREG" + 2 * n), name, ofs - 64, nBits);
        if (ofs + nBits <= 64) return new Subfield(Field.valueOf("XREG" + (2 * n + 1)), name, ofs, nBits);
        return this;
    }

    /** A mask of n low bits (n up to 64). */
    public static long bits(int n) { return n >= 64 ? -1L : (1L << n) - 1; }
}
