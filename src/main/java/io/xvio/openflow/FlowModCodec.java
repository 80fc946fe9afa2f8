package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;
import io.xvio.datapath.Match;

import java.util.List;

/** Decodes the three flow_mod layouts into {@link FlowMod}, checking every length and the commands and tables. */
public final class FlowModCodec {
    private FlowModCodec() {}

    /** OpenFlow 1.0 OFPT_FLOW_MOD (r after the 8-byte header). tableIdExt: NXT_FLOW_MOD_TABLE_ID is on. */
    public static FlowMod decode10(Wire.Reader r, boolean tableIdExt) {
        Match m = Of10Match.decode(r);
        long cookie = r.u64();
        int command = r.u16(), idle = r.u16(), hard = r.u16(), prio = r.u16();
        long buffer = r.u32();
        int out = r.u16(), flags = r.u16();
        try (ActionPrereqs.Notes notes = ActionPrereqs.open()) {
            List<Action> actions = OfActions.decodeActions(r, OfVersion.OF10);
            FlowMod fm = finish10(command, cookie, m, actions, idle, hard, prio, buffer, out, flags, tableIdExt);
            notes.check(m, actions, OfVersion.OF10);
            return fm;
        }
    }

    /** NXT_FLOW_MOD (r after the 16-byte Nicira header). */
    public static FlowMod decodeNx(Wire.Reader r, boolean tableIdExt) {
        long cookie = r.u64();
        int command = r.u16(), idle = r.u16(), hard = r.u16(), prio = r.u16();
        long buffer = r.u32();
        int out = r.u16(), flags = r.u16(), matchLen = r.u16();
        r.skip(6);
        NxMatch nm = NxMatch.read(r, matchLen);
        FlowMod fm;
        try (ActionPrereqs.Notes notes = ActionPrereqs.open()) {
            List<Action> actions = OfActions.decodeActions(r, OfVersion.OF10);
            fm = finish10(command, cookie, nm.match(), actions, idle, hard, prio, buffer, out, flags, tableIdExt);
            notes.check(nm.match(), actions, OfVersion.OF10);
        }
        if (nm.cookieMask() == 0) return fm;
        // the match's cookie selects flows, the header's is the new one (OVS's nx_flow_mod)
        if (fm.command() == FlowMod.ADD) throw OfError.NXM_INVALID.fail("an add may only set a cookie, not match on one (NXM_NX_COOKIE)");
        return new FlowMod(fm.command(), fm.table(), fm.priority(), nm.cookie(), nm.cookieMask(), fm.match(), fm.actions(),
                fm.idleTimeout(), fm.hardTimeout(), fm.outPort(), fm.flags(), fm.bufferId(), fm.version(), fm.newCookie(), fm.outGroup());
    }

    private static FlowMod finish10(int command, long cookie, Match m, List<Action> actions, int idle, int hard, int prio,
                                    long buffer, int out, int flags, boolean tableIdExt) {
        int table = -1;
        if (tableIdExt) {
            table = command >>> 8;
            command &= 0xff;
            if (table == 0xff) table = -1;
        } else if ((command & 0xff00) != 0) {
            throw OfError.BAD_COMMAND.fail("flow_mod command 0x" + Integer.toHexString(command));
        }
        if (command > FlowMod.DELETE_STRICT) throw OfError.BAD_COMMAND.fail("flow_mod command " + command);
        if ((flags & ~3) != 0) throw OfError.BAD_FLAGS.fail("flow_mod flags 0x" + Integer.toHexString(flags) + " (emergency flows are not supported)");
        checkTable(command, table, actions);
        // 1.0's cookie is always the new one: an add's, and the one a modify sets unless it is all-ones (OVS's new_cookie)
        return new FlowMod(command, table, prio, cookie, 0, m, actions, idle, hard, out == Ports.NONE ? -1 : out, flags, buffer, OfVersion.OF10,
                cookie, FlowMod.ANY_GROUP);
    }

    /** OpenFlow 1.1+ OFPT_FLOW_MOD (r after the header). */
    public static FlowMod decode11(Wire.Reader r, int version) { return decode11(r, version, null); }

    /**
     * As {@link #decode11(Wire.Reader, int)}; scratch, if not null, is cleared and takes the match, for a flow_mod
     * decoded only to check it (a bundle's add): the caller keeps neither.
     */
    static FlowMod decode11(Wire.Reader r, int version, Match scratch) {
        long cookie = r.u64(), cookieMask = r.u64();
        int table = r.u8(), command = r.u8(), idle = r.u16(), hard = r.u16(), prio = r.u16();
        long buffer = r.u32();
        long out = r.u32(), outGroup = r.u32();
        int flags = r.u16();
        r.skip(2);                                 // importance (1.4+) / pad
        Match m = readOxmMatch(r, scratch == null ? new Match() : scratch.clear());
        ActionPrereqs.Notes notes = ActionPrereqs.open();
        List<Action> actions;
        try {
            actions = OfActions.decodeInstructions(r, version);
        } finally {
            notes.close();
        }
        if (command > FlowMod.DELETE_STRICT) throw OfError.BAD_COMMAND.fail("flow_mod command " + command);
        if ((flags & ~0x1f) != 0) throw OfError.BAD_FLAGS.fail("flow_mod flags 0x" + Integer.toHexString(flags));
        int t = table == 0xff ? -1 : table;
        if (t < 0 && command < FlowMod.DELETE) throw OfError.FLOW_MOD_BAD_TABLE_ID.fail("table 255 (all) in an add or modify");
        if (t >= Flow.TABLES) throw OfError.FLOW_MOD_BAD_TABLE_ID.fail("table " + t);
        checkTable(command, t, actions);
        // out_port filters deletes only: OVS ignores it (and out_group) on add and modify, where os-ken sends 0
        boolean filters = command >= FlowMod.DELETE && out != 0xffffffffL;
        int outPort = filters ? (int) Ports.from32(out) : -1;
        if (filters && outPort < 0) throw OfError.BAD_PORT.fail("out_port " + out);
        notes.check(m, actions, version);
        // the cookie an add sets; a modify sets none (OVS's new_cookie: OVS_BE64_MAX); out_group filters deletes only
        return new FlowMod(command, t, prio, cookie, command == FlowMod.ADD ? 0 : cookieMask, m, actions, idle, hard, outPort, flags,
                buffer, version, command == FlowMod.ADD ? cookie : FlowMod.NO_COOKIE, command >= FlowMod.DELETE ? outGroup : FlowMod.ANY_GROUP);
    }

    /** goto_table must go forward (OVS: OFPBIC_BAD_TABLE_ID). */
    private static void checkTable(int command, int table, List<Action> actions) {
        if (command >= FlowMod.DELETE) return;
        int t = Math.max(0, table);
        for (Action a : actions)
            if (a instanceof GotoTable g && g.table() <= t) throw OfError.BAD_INST_TABLE_ID.fail("goto_table:" + g.table() + " from table " + t);
    }

    /** An ofp_match of type OXM (1.2+): type, length, entries, padding to 8. */
    public static Match readOxmMatch(Wire.Reader r) { return readOxmMatch(r, new Match()); }

    private static Match readOxmMatch(Wire.Reader r, Match into) {
        int type = r.u16(), len = r.u16();
        if (type != 1) throw OfError.BAD_MATCH_TYPE.fail("match type " + type + " (only OXM, type 1)");
        if (len < 4) throw OfError.BAD_MATCH_LEN.fail("match length " + len);
        Wire.Reader body = r.sub(len - 4, OfError.BAD_MATCH_LEN, "match");
        int pad = (8 - len % 8) % 8;
        r.sub(pad, OfError.BAD_MATCH_LEN, "match padding");
        return Oxm.decode(body, into);
    }

    public static void writeOxmMatch(Match m, Wire.Writer w) {
        int start = w.size();
        w.u16(1).u16(0);
        Oxm.encode(m, false, w);
        w.put16(start + 2, w.size() - start);
        w.pad8(start);
    }
}
