package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowSpec;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.GroupAction;

import java.util.ArrayList;
import java.util.List;

/**
 * One flow monitor request, as OVS's ofputil_decode_flow_monitor_request reads the three layouts: Nicira's
 * NXST_FLOW_MONITOR (OpenFlow 1.0, NXM match), ONF's ONFST_FLOW_MONITOR (OpenFlow 1.3, OXM match) and
 * OFPMP_FLOW_MONITOR (1.4+, with a command). Flags are kept in OpenFlow 1.4's bits ({@link #INITIAL} ...), as OVS
 * keeps them; Nicira's NXFMF_OWN ("own changes in full") becomes {@link #ONLY_OWN}, as OVS maps it.
 */
record FlowMonitor(long id, int command, int flags, int outPort, long outGroup, int table, Match match) {
    static final int INITIAL = 1, ADD = 2, REMOVED = 4, MODIFY = 8, INSTRUCTIONS = 16, NO_ABBREV = 32, ONLY_OWN = 64;
    static final int CMD_ADD = 0, CMD_MODIFY = 1, CMD_DELETE = 2;
    /** Nicira stats subtype, ONF experimenter types (request/reply and cancel share 1870). */
    static final int NXST_FLOW_MONITOR = 2, NXT_FLOW_MONITOR_CANCEL = 21, NXT_FLOW_MONITOR_PAUSED = 22,
            NXT_FLOW_MONITOR_RESUMED = 23, ONF_FLOW_MONITOR = 1870, ONF_FLOW_MONITOR_PAUSED = 1871,
            ONF_FLOW_MONITOR_RESUMED = 1872, MP_FLOW_MONITOR = 16;
    static final long ANY_GROUP = 0xffffffffL;
    private static final int NX_ALLOWED = 0x3f, OF14_ALLOWED = INITIAL | ADD | REMOVED | MODIFY | INSTRUCTIONS | ONLY_OWN;

    /** Whether a multipart/stats request is a flow monitor request of version (by its fixed header bytes). */
    static boolean isRequest(int version, byte[] m) {
        if (m.length < 16) return false;
        int type = u16(m, 8);
        if (version >= OfVersion.OF14) return type == MP_FLOW_MONITOR;
        if (type != OfType.MP_VENDOR || m.length < 24) return false;
        if (version == OfVersion.OF10) return u32(m, 12) == OfVersion.NX_VENDOR && u32(m, 16) == NXST_FLOW_MONITOR;
        return version == OfVersion.OF13 && u32(m, 16) == OfError.ONF_VENDOR && u32(m, 20) == ONF_FLOW_MONITOR;
    }

    /** The requests of a flow monitor request message (body at 24 before 1.4, 16 after); each length checked. */
    static List<FlowMonitor> decodeAll(byte[] m, int version) {
        Wire.Reader r = new Wire.Reader(m);
        r.skip(version >= OfVersion.OF14 ? 16 : 24);
        List<FlowMonitor> out = new ArrayList<>();
        while (r.remaining() > 0) {
            if (r.remaining() < 16) throw OfError.BAD_LEN.fail("flow monitor request has " + r.remaining() + " leftover bytes at end");
            out.add(version == OfVersion.OF10 ? decodeNx(r) : version == OfVersion.OF13 ? decodeOnf(r) : decode14(r));
        }
        return out;
    }

    static FlowMonitor decodeNx(Wire.Reader r) {
        long id = r.u32();
        int nxFlags = r.u16(), out = r.u16(), matchLen = r.u16(), table = r.u8();
        byte[] zeros = r.bytes(5);
        int flags = checkNxFlags(nxFlags);
        for (byte z : zeros) if (z != 0) throw OfError.MUST_BE_ZERO.fail("flow monitor request pad is not zero");
        NxMatch nm = NxMatch.read(r, matchLen);
        if (nm.cookieMask() != 0) throw OfError.BAD_FIELD.fail("NXM_NX_COOKIE in a flow monitor request");
        return new FlowMonitor(id, CMD_ADD, flags, out == Ports.NONE ? -1 : out, ANY_GROUP, tableOf(table), nm.match());
    }

    static FlowMonitor decodeOnf(Wire.Reader r) {
        long id = r.u32();
        int nxFlags = r.u16();
        r.u16();                                         // match_len: the OXM match carries its own length
        long out = r.u32();
        int table = r.u8();
        byte[] zeros = r.bytes(3);
        int flags = checkNxFlags(nxFlags);
        for (byte z : zeros) if (z != 0) throw OfError.MUST_BE_ZERO.fail("flow monitor request pad is not zero");
        return new FlowMonitor(id, CMD_ADD, flags, port32(out), ANY_GROUP, tableOf(table), FlowModCodec.readOxmMatch(r));
    }

    static FlowMonitor decode14(Wire.Reader r) {
        long id = r.u32(), out = r.u32(), group = r.u32();
        int flags = r.u16(), table = r.u8(), command = r.u8();
        if (command == CMD_DELETE) return new FlowMonitor(id, command, 0, -1, ANY_GROUP, FlowSpec.ALL_TABLES, FlowModCodec.readOxmMatch(r));
        if (command > CMD_DELETE) throw OfError.MONITOR_BAD_COMMAND.fail("flow monitor command " + command);
        if ((flags & (ADD | REMOVED | MODIFY)) == 0 || (flags & ~OF14_ALLOWED) != 0)
            throw OfError.MONITOR_BAD_FLAGS.fail("flow monitor flags 0x" + Integer.toHexString(flags));
        return new FlowMonitor(id, command, flags, port32(out), group, tableOf(table), FlowModCodec.readOxmMatch(r));
    }

    /** The monitor id of an NXT/ONFT flow monitor cancel (exactly a 4-byte id after the 16-byte header). */
    static long decodeCancel(Wire.Reader r) {
        if (r.remaining() != 4) throw OfError.BAD_LEN.fail("flow monitor cancel of " + (16 + r.remaining()) + " bytes (20)");
        return r.u32();
    }

    private static int checkNxFlags(int nx) {
        if ((nx & (ADD | REMOVED | MODIFY)) == 0 || (nx & ~NX_ALLOWED) != 0)
            throw OfError.MONITOR_BAD_FLAGS.fail("flow monitor flags 0x" + Integer.toHexString(nx));
        return (nx & 0x1f) | ((nx & 0x20) != 0 ? ONLY_OWN : 0);
    }

    private static int port32(long out) {
        long p = Ports.from32(out);
        if (p < 0) throw OfError.BAD_OUT_PORT.fail("flow monitor out_port 0x" + Long.toHexString(out));
        return p == Ports.NONE ? -1 : (int) p;
    }

    private static int tableOf(int t) {
        if (t != 0xff && t >= OfStats.TABLES) throw OfError.BAD_TABLE_ID.fail("flow monitor table " + t);
        return t == 0xff ? FlowSpec.ALL_TABLES : t;
    }

    /** Whether f is in this monitor's view: its table, a match at least as specific, out_port and out_group. */
    boolean selects(Flow f) {
        if (!new FlowSpec(table, 0, 0, 0, match, outPort, false, null, "", false).selects(f)) return false;
        if (outGroup == ANY_GROUP) return true;
        for (Action a : f.actions) if (a instanceof GroupAction g && g.id() == outGroup) return true;
        return false;
    }

    private static int u16(byte[] m, int at) { return ((m[at] & 0xff) << 8) | (m[at + 1] & 0xff); }

    private static long u32(byte[] m, int at) { return ((long) u16(m, at) << 16) | u16(m, at + 2); }
}
