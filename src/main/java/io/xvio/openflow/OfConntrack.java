package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Ct;
import io.xvio.datapath.action.SetField;
import io.xvio.datapath.action.Subfield;
import io.xvio.datapath.action.NatSyntax;
import io.xvio.datapath.conntrack.NatAction;

import java.util.ArrayList;
import java.util.List;

/**
 * The Nicira ct action (NXAST_CT, 35) with its nested nat (NXAST_NAT, 36) and exec actions, as ofp-actions.c lays
 * them out: flags (commit 1, force 2), zone_src (an NXM header, or 0 for zone_imm), zone ofs/n_bits or the zone,
 * recirc_table (255: none), alg, then the nested actions. A nested nat carries flags (src 1, dst 2, persistent 4,
 * hash 8, random 16) and which range bounds follow (IPv4 min/max, IPv6 min/max, port min/max).
 */
final class OfConntrack {
    private OfConntrack() {}

    static final int NX_CT = 35, NX_NAT = 36;
    private static final int F_COMMIT = 1, F_FORCE = 2;
    private static final int NAT_SRC = 1, NAT_DST = 2, NAT_PERSISTENT = 4, NAT_HASH = 8, NAT_RANDOM = 16;
    private static final int R_IPV4_MIN = 1, R_IPV4_MAX = 2, R_IPV6_MIN = 4, R_IPV6_MAX = 8, R_PROTO_MIN = 16, R_PROTO_MAX = 32;

    static void encode(Ct c, int version, Wire.Writer w, java.util.function.ToLongFunction<Field> header) {
        int start = w.size();
        w.u16(OfActions.VENDOR).u16(0).u32(OfVersion.NX_VENDOR).u16(NX_CT);
        w.u16((c.commit() ? F_COMMIT : 0) | (c.force() ? F_FORCE : 0));
        Subfield z = c.zoneSrc();
        if (z != null) w.u32(header.applyAsLong(z.field())).u16((z.ofs() << 6) | (z.nBits() - 1));
        else w.u32(0).u16(c.zone());
        w.u8(c.table() == Ct.NO_TABLE ? 0xff : c.table()).zeros(3).u16(0);
        if (c.nat() != null) nat(c.natAction(), c.natText(), w);
        for (Action x : c.exec()) OfActions.encode(x, version, w);
        w.put16(start + 2, w.size() - start);
    }

    private static void nat(NatAction n, String text, Wire.Writer w) {
        int start = w.size();
        w.u16(OfActions.VENDOR).u16(0).u32(OfVersion.NX_VENDOR).u16(NX_NAT).zeros(2);
        int flags = 0, range = 0;
        boolean hasRange = n.kind != NatAction.Kind.APPLY && (n.minHi != 0 || n.minLo != 0);
        if (n.kind == NatAction.Kind.SRC) flags |= NAT_SRC;
        if (n.kind == NatAction.Kind.DST) flags |= NAT_DST;
        if (hasRange) {
            if (n.persistent) flags |= NAT_PERSISTENT;
            if (text.contains(",hash")) flags |= NAT_HASH;
            if (n.random) flags |= NAT_RANDOM;
            range |= n.v6 ? R_IPV6_MIN : R_IPV4_MIN;
            if (n.maxHi != n.minHi || n.maxLo != n.minLo) range |= n.v6 ? R_IPV6_MAX : R_IPV4_MAX;
            if (n.minPort != 0) range |= R_PROTO_MIN | (n.maxPort != n.minPort ? R_PROTO_MAX : 0);
        }
        w.u16(flags).u16(range);
        if ((range & R_IPV4_MIN) != 0) w.u32(n.minLo);
        if ((range & R_IPV4_MAX) != 0) w.u32(n.maxLo);
        if ((range & R_IPV6_MIN) != 0) w.u64(n.minHi).u64(n.minLo);
        if ((range & R_IPV6_MAX) != 0) w.u64(n.maxHi).u64(n.maxLo);
        if ((range & R_PROTO_MIN) != 0) w.u16(n.minPort);
        if ((range & R_PROTO_MAX) != 0) w.u16(n.maxPort);
        w.pad8(start);
        w.put16(start + 2, w.size() - start);
    }

    /** The body of an NXAST_CT after its subtype (a: the rest of the action, len: the action's length). */
    static Ct decode(int len, Wire.Reader a, int version, java.util.function.BiFunction<Long, Integer, Field> zoneField) {
        if (len < 24) throw OfError.BAD_ACTION_LEN.fail("ct has length " + len);
        int flags = a.u16();
        long zoneSrc = a.u32();
        int zoneVal = a.u16(), table = a.u8();
        a.skip(3);
        int alg = a.u16();
        if ((flags & ~(F_COMMIT | F_FORCE)) != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("ct: unknown flags 0x" + Integer.toHexString(flags));
        if (alg != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("ct: alg=" + alg + " (FTP/TFTP helpers) is not supported by xvio");
        boolean commit = (flags & F_COMMIT) != 0, force = (flags & F_FORCE) != 0;
        if (force && !commit) throw OfError.BAD_ACTION_ARGUMENT.fail("ct: force without commit");
        Subfield zone = null;
        if (zoneSrc != 0) {
            int ofs = zoneVal >>> 6, n = (zoneVal & 63) + 1;
            Field f = zoneField.apply(zoneSrc, ofs + n);
            if (n > 16) throw OfError.BAD_ACTION_ARGUMENT.fail("ct: zone field of " + n + " bits (at most 16)");
            zone = new Subfield(f, f.ofName, ofs, n);
        }
        NatSyntax.Nat nat = null;
        List<Action> exec = new ArrayList<>();
        while (a.remaining() > 0) {
            if (a.remaining() < 8) throw OfError.BAD_ACTION_LEN.fail("ct: " + a.remaining() + " stray bytes");
            byte[] one = a.bytes(8);
            int type = ((one[0] & 0xff) << 8) | (one[1] & 0xff), alen = ((one[2] & 0xff) << 8) | (one[3] & 0xff);
            if (alen < 8 || alen % 8 != 0 || alen - 8 > a.remaining()) throw OfError.BAD_ACTION_LEN.fail("ct: nested action of length " + alen);
            byte[] rest = a.bytes(alen - 8);
            byte[] whole = new byte[alen];
            System.arraycopy(one, 0, whole, 0, 8);
            System.arraycopy(rest, 0, whole, 8, rest.length);
            Wire.Reader r = new Wire.Reader(whole);
            if (type == OfActions.VENDOR && alen >= 16 && (((long) (whole[4] & 0xff) << 24) | ((whole[5] & 0xff) << 16) | ((whole[6] & 0xff) << 8) | (whole[7] & 0xff)) == OfVersion.NX_VENDOR
                    && (((whole[8] & 0xff) << 8) | (whole[9] & 0xff)) == NX_NAT) {
                if (nat != null) throw OfError.BAD_ACTION_ARGUMENT.fail("ct: two nat actions");
                r.skip(10);
                nat = decodeNat(r);
                continue;
            }
            boolean[] inCt = OfActions.IN_CT.get();
            boolean was = inCt[0];
            inCt[0] = true;
            List<Action> nested;
            try {
                nested = OfActions.decodeActions(r, version);
            } finally {
                inCt[0] = was;
            }
            for (Action x : nested) {
                if (!Ct.setsCtField(x))
                    throw OfError.BAD_ACTION_ARGUMENT.fail("ct action doesn't support nested action " + x.format());
                exec.add(x);
            }
        }
        if (!commit && (!exec.isEmpty() || (nat != null && nat.action().kind != NatAction.Kind.APPLY)))
            throw OfError.BAD_ACTION_ARGUMENT.fail("CT action requires commit flag if actions other than NAT without arguments are specified.");
        return Ct.of(commit, force, table == 0xff ? Ct.NO_TABLE : table, zone == null ? zoneVal : 0, zone, nat, exec);
    }

    private static NatSyntax.Nat decodeNat(Wire.Reader r) {
        r.skip(2);
        int flags = r.u16(), range = r.u16();
        boolean src = (flags & NAT_SRC) != 0, dst = (flags & NAT_DST) != 0;
        if (src && dst) throw OfError.BAD_ACTION_ARGUMENT.fail("nat: both src and dst");
        if ((flags & ~31) != 0 || (range & ~63) != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("nat: unknown flags");
        if ((range & (R_IPV4_MIN | R_IPV4_MAX)) != 0 && (range & (R_IPV6_MIN | R_IPV6_MAX)) != 0)
            throw OfError.BAD_ACTION_ARGUMENT.fail("nat: both IPv4 and IPv6 ranges");
        NatAction.Kind kind = src ? NatAction.Kind.SRC : dst ? NatAction.Kind.DST : NatAction.Kind.APPLY;
        if (kind == NatAction.Kind.APPLY) {
            if (flags != 0 || range != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("nat: flags or a range without src or dst");
            return new NatSyntax.Nat(NatAction.APPLY, false);
        }
        long minHi = 0, minLo = 0, maxHi = 0, maxLo = 0;
        boolean v6 = (range & R_IPV6_MIN) != 0;
        if ((range & R_IPV4_MAX) != 0 && (range & R_IPV4_MIN) == 0 || (range & R_IPV6_MAX) != 0 && !v6
                || (range & R_PROTO_MAX) != 0 && (range & R_PROTO_MIN) == 0)
            throw OfError.BAD_ACTION_ARGUMENT.fail("nat: a range maximum without its minimum");
        if ((range & R_IPV4_MIN) != 0) { minLo = r.u32(); maxLo = (range & R_IPV4_MAX) != 0 ? r.u32() : minLo; }
        if (v6) {
            minHi = r.u64(); minLo = r.u64();
            if ((range & R_IPV6_MAX) != 0) { maxHi = r.u64(); maxLo = r.u64(); } else { maxHi = minHi; maxLo = minLo; }
        }
        int minPort = 0, maxPort = 0;
        if ((range & R_PROTO_MIN) != 0) {
            if ((range & (R_IPV4_MIN | R_IPV6_MIN)) == 0) throw OfError.BAD_ACTION_ARGUMENT.fail("nat: a port range without addresses");
            minPort = r.u16();
            maxPort = (range & R_PROTO_MAX) != 0 ? r.u16() : minPort;
            if (minPort == 0) throw OfError.BAD_ACTION_ARGUMENT.fail("nat: port 0");
        }
        try {
            NatAction n = new NatAction(kind, v6, minHi, minLo, maxHi, maxLo, minPort, maxPort,
                    (flags & NAT_RANDOM) != 0 && (range & (R_IPV4_MIN | R_IPV6_MIN)) != 0, (flags & NAT_PERSISTENT) != 0);
            return new NatSyntax.Nat(n, (flags & NAT_HASH) != 0);
        } catch (IllegalArgumentException e) {
            throw OfError.BAD_ACTION_ARGUMENT.fail(e.getMessage());
        }
    }
}
