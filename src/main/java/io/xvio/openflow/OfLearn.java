package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.action.Learn;
import io.xvio.datapath.action.LearnSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * learn(...) on the wire: Nicira's NXAST_LEARN (subtype 16, 32-byte header) and NXAST_LEARN2 (subtype 45, 40 bytes:
 * limit and result_dst), each followed by flow_mod_specs (a 16-bit header: n_bits, source type immediate/field,
 * destination type match/load/output; then the source field and offset or the immediate in 16-bit units, then the
 * destination field and offset) up to the end of the action, zero-padded. Errors as OVS's decode_LEARN_specs and
 * learn_check: a bad pad, table 255, unknown flags or spec types is OFPBAC_BAD_ARGUMENT, a spec overrunning the action
 * OFPBAC_BAD_LEN, an unknown field OFPBAC_BAD_SET_TYPE, bits outside a field OFPBAC_BAD_SET_LEN, a read-only
 * destination OFPBAC_BAD_SET_ARGUMENT. The same encoding serves every OpenFlow version (Nicira actions are vendor
 * actions in 1.0 through 1.5).
 */
final class OfLearn {
    private OfLearn() {}

    static final int NX_LEARN = 16, NX_LEARN2 = 45;
    static final int F_SEND_FLOW_REM = 1, F_DELETE_LEARNED = 2, F_WRITE_RESULT = 4;
    private static final int SRC_IMMEDIATE = 1 << 13, DST_MASK = 3 << 11, DST_LOAD = 1 << 11, DST_OUTPUT = 2 << 11, N_BITS = 0x3ff;

    /** Decodes the action after its subtype (a: the rest of the action, len: the whole action's length). */
    static Learn decode(int sub, int len, Wire.Reader a) {
        if (len < (sub == NX_LEARN ? 32 : 40)) throw OfError.BAD_ACTION_LEN.fail("learn has length " + len);
        int idle = a.u16(), hard = a.u16(), priority = a.u16();
        long cookie = a.u64();
        int flags = a.u16(), table = a.u8(), pad = a.u8(), finIdle = a.u16(), finHard = a.u16();
        if (pad != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("learn: pad is not zero");
        if (table == 0xff) throw OfError.BAD_ACTION_ARGUMENT.fail("learn: table 255 is not a table to learn into");
        long limit = 0;
        Field result = null;
        int resultOfs = 0;
        if (sub == NX_LEARN) {
            if ((flags & ~(F_SEND_FLOW_REM | F_DELETE_LEARNED)) != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("learn: flags 0x" + Integer.toHexString(flags));
        } else {
            limit = a.u32();
            resultOfs = a.u16();
            if (a.u16() != 0) throw OfError.MUST_BE_ZERO.fail("learn2: pad is not zero");
            if ((flags & ~(F_SEND_FLOW_REM | F_DELETE_LEARNED | F_WRITE_RESULT)) != 0)
                throw OfError.BAD_ACTION_ARGUMENT.fail("learn2: flags 0x" + Integer.toHexString(flags));
            if ((flags & F_WRITE_RESULT) != 0) {
                if (a.remaining() < 4) throw OfError.BAD_ACTION_LEN.fail("learn2: no room for result_dst");
                result = OfActions.nxmField(a.u32(), "learn result_dst");
                if (!OfActions.SETTABLE.contains(result)) throw OfError.BAD_SET_ARGUMENT.fail("learn: result_dst " + result.ofName + " is read-only");
                if (resultOfs >= result.bits) throw OfError.BAD_SET_LEN.fail("learn: result_dst bit " + resultOfs + " is outside " + result.ofName);
            } else if (resultOfs != 0) {
                throw OfError.BAD_ACTION_ARGUMENT.fail("learn2: result_dst_ofs without result_dst");
            }
        }
        List<LearnSpec> specs = new ArrayList<>();
        while (a.remaining() >= 2) {
            int h = a.u16();
            if (h == 0) break;
            specs.add(spec(h, a));
        }
        while (a.remaining() > 0) if (a.u8() != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("learn: non-zero bytes after the last spec");
        try {
            return new Learn(table, idle, hard, finIdle, finHard, priority, cookie, (flags & F_SEND_FLOW_REM) != 0,
                    (flags & F_DELETE_LEARNED) != 0, limit, result, resultOfs, specs);
        } catch (IllegalArgumentException e) {
            throw OfError.BAD_ACTION_ARGUMENT.fail(e.getMessage());
        }
    }

    private static LearnSpec spec(int h, Wire.Reader a) {
        int n = h & N_BITS, dstType = h & DST_MASK;
        boolean imm = (h & SRC_IMMEDIATE) != 0;
        if ((h & ~(N_BITS | SRC_IMMEDIATE | DST_MASK)) != 0 || dstType == DST_MASK || dstType == DST_OUTPUT && imm)
            throw OfError.BAD_ACTION_ARGUMENT.fail("learn: spec header 0x" + Integer.toHexString(h));
        int need = (imm ? 2 * ((n + 15) / 16) : 6) + (dstType == DST_OUTPUT ? 0 : 6);
        if (a.remaining() < need) throw OfError.BAD_ACTION_LEN.fail("learn: a spec of " + need + " bytes overruns the action");
        if (n < 1 || n > 64) throw OfError.BAD_SET_LEN.fail("learn: specs of " + n + " bits are not supported by xvio (1..64)");
        Field src = null;
        int srcOfs = 0;
        long value = 0;
        if (imm) {
            int bytes = 2 * ((n + 15) / 16);
            for (int i = 0; i < bytes; i++) {
                int b = a.u8();
                if (i < bytes - 8 && b != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("learn: immediate wider than " + n + " bits");
                value = (value << 8) | b;
            }
            if (n < 64 && (value >>> n) != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("learn: immediate wider than " + n + " bits");
        } else {
            long sh = a.u32();
            src = field(sh, "learn source");
            srcOfs = a.u16();
            bits(src, srcOfs, n, sh);
        }
        if (dstType == DST_OUTPUT) return new LearnSpec(LearnSpec.Kind.OUTPUT, src, srcOfs, 0, null, 0, n);
        long dh = a.u32();
        Field dst = field(dh, "learn destination");
        int dstOfs = a.u16();
        bits(dst, dstOfs, n, dh);
        if (dstType == DST_LOAD && !OfActions.SETTABLE.contains(dst))
            throw OfError.BAD_SET_ARGUMENT.fail("learn: load destination " + dst.ofName + " cannot be set by xvio");
        return new LearnSpec(dstType == DST_LOAD ? LearnSpec.Kind.LOAD : LearnSpec.Kind.MATCH, src, srcOfs, value, dst, dstOfs, n);
    }

    /** OXM_OF_IN_PORT: OVS's 32-bit in_port_oxm, xvio's in_port seen as 32 bits (whole only). */
    static final long OXM_IN_PORT = 0x80000004L;

    private static Field field(long header, String what) {
        if (header == OXM_IN_PORT) return Field.IN_PORT;
        Field f = OfActions.nxmField(header, what);
        if (f.words() == 2) throw OfError.BAD_SET_TYPE.fail(what + ": 128-bit field " + f.ofName + " is not supported by xvio in learn");
        return f;
    }

    private static void bits(Field f, int ofs, int n, long header) {
        if (header == OXM_IN_PORT) {
            if (ofs != 0 || n != LearnSpec.OXM_IN_PORT_BITS) throw OfError.BAD_SET_LEN.fail("learn: only all of OXM_OF_IN_PORT is supported by xvio");
            return;
        }
        if (ofs + n > f.bits) throw OfError.BAD_SET_LEN.fail("learn: bits " + ofs + ".." + (ofs + n - 1) + " are outside " + f.ofName + " (" + f.bits + " bits)");
    }

    private static long header(Field f, int n) {
        return f == Field.IN_PORT && n == LearnSpec.OXM_IN_PORT_BITS ? OXM_IN_PORT : OfActions.header(f);
    }

    /** NXAST_LEARN, or NXAST_LEARN2 when the action has a limit or result_dst (as OVS's encode_LEARN). */
    static void encode(Learn l, Wire.Writer w) {
        boolean two = l.limit() != 0 || l.resultField() != null;
        int start = w.size();
        w.u16(OfActions.VENDOR).u16(0).u32(OfVersion.NX_VENDOR).u16(two ? NX_LEARN2 : NX_LEARN);
        int flags = (l.sendFlowRem() ? F_SEND_FLOW_REM : 0) | (l.deleteLearned() ? F_DELETE_LEARNED : 0) | (l.resultField() != null ? F_WRITE_RESULT : 0);
        w.u16(l.idleTimeout()).u16(l.hardTimeout()).u16(l.priority()).u64(l.cookie()).u16(flags).u8(l.table()).u8(0)
                .u16(l.finIdleTimeout()).u16(l.finHardTimeout());
        if (two) {
            w.u32(l.limit()).u16(l.resultField() != null ? l.resultOfs() : 0).u16(0);
            if (l.resultField() != null) w.u32(OfActions.header(l.resultField()));
        }
        for (LearnSpec s : l.specs()) {
            int dst = switch (s.kind()) { case MATCH -> 0; case LOAD -> DST_LOAD; case OUTPUT -> DST_OUTPUT; };
            w.u16(s.nBits() | dst | (s.immediate() ? SRC_IMMEDIATE : 0));
            if (s.immediate()) {
                int bytes = 2 * ((s.nBits() + 15) / 16);
                w.uN(s.imm(), bytes);
            } else {
                w.u32(header(s.src(), s.nBits())).u16(s.srcOfs());
            }
            if (s.kind() != LearnSpec.Kind.OUTPUT) w.u32(header(s.dst(), s.nBits())).u16(s.dstOfs());
        }
        w.pad8(start);
        w.put16(start + 2, w.size() - start);
    }
}
