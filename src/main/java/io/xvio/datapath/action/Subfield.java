package io.xvio.datapath.action;

import io.xvio.datapath.Field;

/** FIELD[A..B] as actions write it: nBits bits of field from bit ofs; name as written. */
public record Subfield(Field field, String name, int ofs, int nBits) {
    /** The ovs-ofctl text: FIELD[A..B]. */
    public static String format(Field f, int ofs, int nBits) {
        return f.ofName + "[" + ofs + ".." + (ofs + nBits - 1) + "]";
    }

    /** A mask of n low bits (n up to 64). */
    public static long bits(int n) { return n >= 64 ? -1L : (1L << n) - 1; }
}
