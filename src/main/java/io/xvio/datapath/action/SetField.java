package io.xvio.datapath.action;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowFormat;
import io.xvio.packet.Ethernet;
import io.xvio.packet.FlowKey;

import java.math.BigInteger;

import static io.xvio.datapath.Field.*;

/**
 * Sets field bits: value under mask (for 128-bit fields, valueLo/maskLo carry the low 64 bits). The one action
 * behind set_field, load, mod_dl_src/dst, mod_nw_src/dst, mod_tp_src/dst, mod_nw_tos, mod_nw_ttl, mod_vlan_vid and
 * mod_vlan_pcp. Setting VLAN_TCI bits with the present bit on a packet without a tag pushes one (mod_vlan_vid).
 */
public record SetField(Field field, long value, long mask, long valueLo, long maskLo) implements Action {
    public SetField(Field field, long value, long mask) { this(field, value, mask, 0, 0); }

    static Action parseSetField(ActionArgs a) { return a.setField(a.arg(), a.pos()); }

    /** mod_vlan_vid, mod_vlan_pcp, mod_dl_*, mod_nw_*, mod_tp_*: by the action's name. */
    static Action parseMod(ActionArgs a) {
        String n = a.name().toLowerCase(java.util.Locale.ROOT), arg = a.arg();
        int p = a.pos();
        return switch (n) {
            case "mod_vlan_vid" -> new SetField(VLAN_TCI, a.intIn(arg, p, 0, 4095, n) | FlowKey.VLAN_PRESENT, 0x0fff | FlowKey.VLAN_PRESENT);
            case "mod_vlan_pcp" -> new SetField(VLAN_TCI, ((long) a.intIn(arg, p, 0, 7, n) << 13) | FlowKey.VLAN_PRESENT, 0xe000 | FlowKey.VLAN_PRESENT);
            case "mod_dl_src" -> new SetField(DL_SRC, a.mac(arg, p, n), DL_SRC.fullMask());
            case "mod_dl_dst" -> new SetField(DL_DST, a.mac(arg, p, n), DL_DST.fullMask());
            case "mod_nw_src" -> new SetField(NW_SRC, a.ipv4(arg, p, n), NW_SRC.fullMask());
            case "mod_nw_dst" -> new SetField(NW_DST, a.ipv4(arg, p, n), NW_DST.fullMask());
            case "mod_tp_src" -> new SetField(TP_SRC, a.intIn(arg, p, 0, 65535, n), TP_SRC.fullMask());
            case "mod_tp_dst" -> new SetField(TP_DST, a.intIn(arg, p, 0, 65535, n), TP_DST.fullMask());
            case "mod_nw_tos" -> new SetField(NW_TOS, a.tos(arg, p, n), NW_TOS.fullMask());
            case "mod_nw_ttl" -> new SetField(NW_TTL, a.intIn(arg, p, 0, 255, n), NW_TTL.fullMask());
            default -> throw new IllegalArgumentException(n);
        };
    }

    /** load:VALUE->FIELD[A..B]. */
    static Action parseLoad(ActionArgs a) {
        String arg = a.arg();
        int apos = a.pos(), arrow = arg.indexOf("->");
        if (arrow < 0) throw a.error(apos, "load needs \"VALUE->FIELD[]\", not \"" + arg + "\"");
        String vs = arg.substring(0, arrow);
        int dpos = apos + arrow + 2;
        Subfield dst = a.subfield(arg.substring(arrow + 2), dpos, "load");
        Field f = dst.field();
        if (!a.settable(f)) throw a.error(dpos, "load: \"" + dst.name() + "\" cannot be set");
        a.needPrerequisites(dst, "load", dpos);
        BigInteger v = a.big(vs, apos, "load value");
        if (v.bitLength() > dst.nBits()) throw a.error(apos, "load: value " + vs + " does not fit in " + dst.nBits() + " bits");
        if (f.words() == 2) {
            BigInteger all = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
            BigInteger m = BigInteger.ONE.shiftLeft(dst.nBits()).subtract(BigInteger.ONE).shiftLeft(dst.ofs());
            BigInteger x = v.shiftLeft(dst.ofs());
            return new SetField(f, x.shiftRight(64).longValue(), m.shiftRight(64).longValue(), x.and(all).longValue(), m.longValue());
        }
        long m = Subfield.bits(dst.nBits()) << dst.ofs();
        long x = (v.longValue() << dst.ofs()) & m;
        if (f == NW_TOS && (x & 3) != 0)
            throw a.error(apos, "load: bits 0..1 of nw_tos are the ECN bits and must stay 0 (the DSCP is bits 2..7)");
        return new SetField(f, f.put(x), f.put(m));
    }

    @Override public boolean modifies() { return true; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.SET; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.set(i, field, value, mask, valueLo, maskLo);       // a tun_metadataN becomes present (Xlate.set)
        return CONTINUE;
    }

    /** As dump-flows: the mod_* shorthand where there is one, load for a contiguous range, else set_field. */
    @Override public String format() {
        Field f = field;
        if (f.words() == 2) return f.format == Field.Format.IPV6 ? formatIpv6() : format128();
        long v = f.get(value), k = f.get(mask);
        if (f == VLAN_TCI && (v & FlowKey.VLAN_PRESENT) != 0) {
            if (k == (0x0fff | FlowKey.VLAN_PRESENT)) return "mod_vlan_vid:" + (v & 0x0fff);
            if (k == (0xe000 | FlowKey.VLAN_PRESENT)) return "mod_vlan_pcp:" + ((v >>> 13) & 7);
        }
        if (k == f.fieldMask()) {
            switch (f) {
                case DL_SRC, DL_DST -> { return "mod_" + f.ofName + ":" + Ethernet.format(v); }
                case NW_SRC, NW_DST -> { return "mod_" + f.ofName + ":" + FlowFormat.ipv4(v); }
                case TP_SRC, TP_DST, NW_TTL -> { return "mod_" + f.ofName + ":" + v; }
                case NW_TOS -> { if ((v & 3) == 0) return "mod_nw_tos:" + v; }
                default -> { }
            }
        }
        int ofs = Long.numberOfTrailingZeros(k), n = Long.bitCount(k);
        boolean contiguous = k != 0 && (n == 64 || (k >>> ofs) == (1L << n) - 1);
        // a whole-field 0 in hex prints as "0", as OVS's ds_put_hex (a learned load:0->vlan_tci shows so)
        if (k == f.fieldMask() && f != NW_TOS) return "set_field:" + (v == 0 && f.format == Field.Format.HEX ? "0" : FlowFormat.value(f, v)) + "->" + f.ofName;
        if (contiguous) return "load:0x" + Long.toHexString(v >>> ofs) + "->" + Subfield.format(f, ofs, n);
        return "set_field:" + FlowFormat.value(f, v) + "/" + FlowFormat.value(f, k) + "->" + f.ofName;
    }

    private String formatIpv6() {
        String addr = FlowFormat.ipv6(value, valueLo);
        if (mask == -1L && maskLo == -1L) return "set_field:" + addr + "->" + field.ofName;
        return "set_field:" + addr + "/" + FlowFormat.ipv6(mask, maskLo) + "->" + field.ofName;
    }

    /** A 128-bit register (xxreg) rewrite: set_field for the whole field, load for a contiguous range. */
    private String format128() {
        BigInteger v = big128(value, valueLo), k = big128(mask, maskLo);
        BigInteger all = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
        if (k.equals(all)) return "set_field:0x" + v.toString(16) + "->" + field.ofName;
        int ofs = k.getLowestSetBit(), n = k.bitCount();
        if (ofs >= 0 && k.shiftRight(ofs).equals(BigInteger.ONE.shiftLeft(n).subtract(BigInteger.ONE)))
            return "load:0x" + v.shiftRight(ofs).toString(16) + "->" + Subfield.format(field, ofs, n);
        return "set_field:0x" + v.toString(16) + "/0x" + k.toString(16) + "->" + field.ofName;
    }

    private static BigInteger big128(long hi, long lo) {
        return new BigInteger(Long.toUnsignedString(hi)).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(lo)));
    }
}
