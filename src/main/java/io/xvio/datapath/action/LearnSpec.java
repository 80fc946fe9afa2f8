package io.xvio.datapath.action;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.FlowParser;

/**
 * One flow_mod_spec of a learn action (ovs-actions(7), NXAST_LEARN): where nBits bits come from (src[srcOfs..], or the
 * immediate imm when src is null) and where they go: a match field of the learned flow (MATCH), a load in its actions
 * (LOAD, dst[dstOfs..]) or an output to the port they hold (OUTPUT, no dst). Fields are at most 64 bits wide.
 */
public record LearnSpec(Kind kind, Field src, int srcOfs, long imm, Field dst, int dstOfs, int nBits) {
    public enum Kind { MATCH, LOAD, OUTPUT }

    public LearnSpec {
        if (nBits < 1 || nBits > 64) throw new IllegalArgumentException("learn: a spec of " + nBits + " bits");
        if (src == null && kind == Kind.OUTPUT) throw new IllegalArgumentException("learn: output needs a source field");
        if (kind != Kind.OUTPUT && dst == null) throw new IllegalArgumentException("learn: " + kind + " needs a destination");
        if (src == null && nBits < 64 && (imm >>> nBits) != 0) throw new IllegalArgumentException("learn: immediate does not fit " + nBits + " bits");
    }

    /** in_port as 32 bits: OVS's OXM_OF_IN_PORT (in_port_oxm), which xvio keeps as its 16-bit in_port. */
    public static final int OXM_IN_PORT_BITS = 32;

    public boolean immediate() { return src == null; }

    /** FIELD[], FIELD[N] or FIELD[A..B] with the NXM name, as OVS's mf_format_subfield. */
    public static String subfield(Field f, int ofs, int n) {
        if (f == Field.IN_PORT && n == OXM_IN_PORT_BITS) return "OXM_OF_IN_PORT[]";
        String name = FlowParser.nxmName(f);
        if (ofs == 0 && n == f.bits) return name + "[]";
        if (n == 1) return name + "[" + ofs + "]";
        return name + "[" + ofs + ".." + (ofs + n - 1) + "]";
    }

    /** The name OVS's meta-flow gives the field (learn_format prints a whole-field immediate with it). */
    static String mfName(Field f) {
        return switch (f) {
            case DL_SRC -> "eth_src";
            case DL_DST -> "eth_dst";
            case DL_TYPE -> "eth_type";
            case NW_SRC -> "ip_src";
            case NW_DST -> "ip_dst";
            default -> f.ofName;
        };
    }

    /** An immediate as OVS's ds_put_hex: "0" or 0x with no leading zeros. */
    static String hex(long v) { return v == 0 ? "0" : "0x" + Long.toHexString(v); }

    /** As learn_format prints the spec. */
    public String format() {
        return switch (kind) {
            case MATCH -> {
                if (immediate()) {
                    if (dstOfs == 0 && nBits >= dst.bits) yield mfName(dst) + "=" + FlowFormat.value(dst, imm);
                    yield subfield(dst, dstOfs, nBits) + "=" + hex(imm);
                }
                String d = subfield(dst, dstOfs, nBits);
                yield src == dst && srcOfs == dstOfs ? d : d + "=" + subfield(src, srcOfs, nBits);
            }
            case LOAD -> "load:" + (immediate() ? hex(imm) : subfield(src, srcOfs, nBits)) + "->" + subfield(dst, dstOfs, nBits);
            case OUTPUT -> "output:" + subfield(src, srcOfs, nBits);
        };
    }
}
