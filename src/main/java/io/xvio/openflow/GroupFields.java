package io.xvio.openflow;

import io.xvio.datapath.Field;

import java.util.ArrayList;
import java.util.List;

/**
 * The field array of a select group's selection-method property (nx-match.c's oxm_pull_field_array): OXM headers,
 * each followed by a mask of the field's width saying which bits to hash. xvio hashes whole fields, so each mask
 * must be all ones (else OFPBMC_BAD_MASK); unknown headers are OFPBMC_BAD_FIELD, repeats OFPBMC_DUP_FIELD.
 */
final class GroupFields {
    private GroupFields() {}

    static List<Field> decode(Wire.Reader r) {
        List<Field> out = new ArrayList<>();
        while (r.remaining() > 0) {
            long header = r.u32();
            int cls = (int) (header >>> 16), field = (int) (header >>> 9) & 0x7f, len = (int) header & 0xff;
            if ((header & 0x100) != 0) throw OfError.BAD_MASK.fail("masked header 0x" + Long.toHexString(header) + " in a field array");
            Oxm.Entry e = cls == 0xffff ? null : Oxm.entry(cls, field);
            if (e == null || e.kind() == Oxm.Kind.VARIABLE) throw OfError.BAD_FIELD.fail("field array header 0x" + Long.toHexString(header) + " is not supported by xvio");
            if (len != e.wire()) throw OfError.BAD_LEN.fail(e.name() + ": length " + len + " (expected " + e.wire() + ")");
            byte[] mask = r.bytes(len);
            if (!whole(e, mask)) throw OfError.BAD_MASK.fail(e.name() + ": xvio hashes whole fields (the mask must be all ones)");
            if (out.contains(e.target())) throw OfError.DUP_FIELD.fail(e.name() + " appears twice in a field array");
            out.add(e.target());
        }
        return out;
    }

    /** Whether mask covers the whole field as this header carries it. */
    private static boolean whole(Oxm.Entry e, byte[] mask) {
        long want = switch (e.kind()) {
            case VLAN_VID -> 0x1fff;
            case VLAN_PCP -> 0x7;
            case DSCP -> 0x3f;
            case SMALL -> e.target().fieldMask();
            default -> -1;
        };
        if (want == -1) {
            for (byte b : mask) if (b != (byte) 0xff) return false;
            return true;
        }
        long v = 0;
        for (byte b : mask) v = v << 8 | (b & 0xff);
        return (v & want) == want;
    }

    /** The header xvio writes for f: OXM's own where there is one (as OVS's OpenFlow 1.5 encoding), else NXM's. */
    static Oxm.Entry entry(Field f) {
        Oxm.Entry best = null;
        for (Oxm.Entry e : Oxm.ENTRIES) {
            if (e.target() != f || e.kind() == Oxm.Kind.VLAN_PCP || e.kind() == Oxm.Kind.DSCP || e.kind() == Oxm.Kind.VARIABLE) continue;
            boolean basic = e.cls() == Oxm.BASIC || e.cls() == Oxm.PKT_REGS;
            if (best == null || basic && best.cls() < Oxm.BASIC && e.kind() != Oxm.Kind.VLAN_VID) best = e;
        }
        return best;
    }

    static void encode(List<Field> fields, Wire.Writer w) {
        for (Field f : fields) {
            Oxm.Entry e = entry(f);
            if (e == null) continue;                       // a field with no header cannot be told (none such in xvio)
            w.u32(e.header(false) & 0xffffffffL);
            for (int i = 0; i < e.wire(); i++) w.u8(0xff);
        }
    }
}
