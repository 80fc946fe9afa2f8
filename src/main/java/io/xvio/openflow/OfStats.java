package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowSpec;
import io.xvio.datapath.Match;

import java.util.ArrayList;
import java.util.List;

/**
 * Multipart (1.3+) and stats (1.0, and Nicira's NXST) replies: desc, flow, aggregate, table, port stats and port
 * desc, each split over as many messages as 64 KiB need (all but the last flagged REPLY_MORE).
 */
final class OfStats {
    private OfStats() {}

    static final int MORE = 1;
    static final int TABLES = 254;     // as OVS reports them
    private static final int MAX_MSG = 65535;

    /** Packs entries after a reply header into messages of at most 64 KiB. */
    static final class Replies {
        final int version, xid, type;
        final long vendorSubtype;      // -1: not a Nicira stats reply
        final List<byte[]> out = new ArrayList<>();
        Wire.Writer cur;

        Replies(int version, int xid, int type, long vendorSubtype) {
            this.version = version;
            this.xid = xid;
            this.type = type;
            this.vendorSubtype = vendorSubtype;
            start();
        }

        private void start() {
            cur = new Wire.Writer(version, version == OfVersion.OF10 ? OfType.OF10_STATS_REPLY : OfType.MULTIPART_REPLY, xid);
            cur.u16(type).u16(0);
            if (version != OfVersion.OF10) cur.zeros(4);
            if (vendorSubtype >= 0) cur.u32(OfVersion.NX_VENDOR).u32(vendorSubtype).zeros(4);
        }

        void add(byte[] entry) {
            if (cur.size() + entry.length > MAX_MSG) {
                cur.put16(10, MORE);
                out.add(cur.finish());
                start();
            }
            cur.bytes(entry);
        }

        List<byte[]> finish() {
            out.add(cur.finish());
            return out;
        }
    }

    static Replies replies(int version, int xid, int type) { return new Replies(version, xid, type, -1); }

    static byte[] desc(int version, int xid, String bridge) {
        Replies r = replies(version, xid, OfType.MP_DESC);
        Wire.Writer w = new Wire.Writer();
        w.string("xvio", 256).string("xvio userspace switch", 256).string(version(), 256).string("None", 32).string("bridge " + bridge, 256);
        r.add(w.toBytes());
        return r.finish().getFirst();
    }

    private static String version() {
        String v = OfStats.class.getPackage().getImplementationVersion();
        return v == null ? "xvio" : "xvio " + v;
    }

    /** What a flow or aggregate request selects. */
    /** A flow stats request's selection; outGroup: out_group (OFPG_ANY: none), of 1.1+ requests only. */
    record Selection(int table, int outPort, long cookie, long cookieMask, Match match, long outGroup) {
        Selection(int table, int outPort, long cookie, long cookieMask, Match match) {
            this(table, outPort, cookie, cookieMask, match, FlowMod.ANY_GROUP);
        }

        boolean selects(Flow f) {
            return new FlowSpec(table, 0, cookie, cookieMask, match, outPort, false, null, "", false).selects(f)
                    && (outGroup == FlowMod.ANY_GROUP || io.xvio.datapath.ActionOutputs.toGroup(f.actions, outGroup));
        }
    }

    static Selection selection10(Wire.Reader r) {
        Match m = Of10Match.decode(r);
        int table = r.u8();
        r.skip(1);
        int out = r.u16();
        return new Selection(table == 0xff ? FlowSpec.ALL_TABLES : table, out == Ports.NONE ? -1 : out, 0, 0, m);
    }

    static Selection selectionNx(Wire.Reader r) {
        int out = r.u16(), matchLen = r.u16(), table = r.u8();
        r.skip(3);
        NxMatch nm = NxMatch.read(r, matchLen);
        return new Selection(table == 0xff ? FlowSpec.ALL_TABLES : table, out == Ports.NONE ? -1 : out, nm.cookie(), nm.cookieMask(), nm.match());
    }

    static Selection selection11(Wire.Reader r) {
        int table = r.u8();
        r.skip(3);
        long out = r.u32(), group = r.u32();
        r.skip(4);
        long cookie = r.u64(), mask = r.u64();
        Match m = FlowModCodec.readOxmMatch(r);
        int outPort = out == 0xffffffffL ? -1 : (int) Ports.from32(out);
        return new Selection(table == 0xff ? FlowSpec.ALL_TABLES : table, outPort, cookie & mask, mask, m, group);
    }

    static List<Flow> selected(List<Flow> all, Selection s) {
        List<Flow> fs = new ArrayList<>();
        for (Flow f : all) if (s.selects(f)) fs.add(f);
        fs.sort((x, y) -> x.table != y.table ? Integer.compare(x.table, y.table) : Integer.compare(y.priority, x.priority));
        return fs;
    }

    /** One flow stats entry in the layout of version (nx: Nicira's nx_flow_stats). */
    static byte[] flowEntry(Flow f, int version, boolean nx, long now) {
        long age = Math.max(0, now - f.createdNanos());
        long sec = age / 1_000_000_000L, nsec = age % 1_000_000_000L / 1_000_000L * 1_000_000L;   // OVS's durations are in ms
        long idleAge = Math.max(0, now - f.lastHitNanos()) / 1_000_000_000L;
        Wire.Writer w = new Wire.Writer();
        if (nx) {
            w.u16(0).u8(f.table).u8(0).u32(sec).u32(nsec).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout);
            int lenAt = w.size();
            w.u16(0).u16((int) Math.min(0xffff, idleAge + 1)).u16(0).u64(f.cookie).u64(f.packetCount()).u64(f.byteCount());
            int ml = NxMatch.write(f.match, w);
            w.put16(lenAt, ml);
            OfActions.encodeActions(f.actions, OfVersion.OF10, w);
        } else if (version == OfVersion.OF10) {
            w.u16(0).u8(f.table).u8(0);
            Of10Match.encode(f.match, w);
            w.u32(sec).u32(nsec).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout).zeros(6).u64(f.cookie)
                    .u64(f.packetCount()).u64(f.byteCount());
            OfActions.encodeActions(f.actions, OfVersion.OF10, w);
        } else if (version < OfVersion.OF15) {
            w.u16(0).u8(f.table).u8(0).u32(sec).u32(nsec).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout).u16(0).zeros(4)
                    .u64(f.cookie).u64(f.packetCount()).u64(f.byteCount());
            FlowModCodec.writeOxmMatch(f.match, w);
            OfActions.encodeInstructions(f.actions, version, w);
        } else {
            w.u16(0).zeros(2).u8(f.table).u8(0).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout).u16(0).u16(0).u64(f.cookie);
            FlowModCodec.writeOxmMatch(f.match, w);
            oxsStats(w, new long[] {sec << 32 | nsec, idleAge << 32, f.packetCount(), f.byteCount()}, -1);
            OfActions.encodeInstructions(f.actions, version, w);
        }
        w.put16(0, w.size());
        return w.toBytes();
    }

    /** ofp_oxs_stat: duration, idle time, packet and byte counts (null entries left out), flow count if >= 0. */
    static void oxsStats(Wire.Writer w, long[] v, long flowCount) {
        int start = w.size();
        w.u16(0).u16(0);
        if (v[0] >= 0) w.u32(0x80020000L | 0 << 9 | 8).u64(v[0]);
        if (v[1] >= 0) w.u32(0x80020000L | 1 << 9 | 8).u64(v[1]);
        w.u32(0x80020000L | 4 << 9 | 8).u64(v[2]);
        w.u32(0x80020000L | 5 << 9 | 8).u64(v[3]);
        if (flowCount >= 0) w.u32(0x80020000L | 3 << 9 | 4).u32(flowCount);
        w.put16(start + 2, w.size() - start);
        w.pad8(start);
    }

    static byte[] aggregateBody(List<Flow> fs, int version) {
        long packets = 0, bytes = 0;
        for (Flow f : fs) { packets += f.packetCount(); bytes += f.byteCount(); }
        Wire.Writer w = new Wire.Writer();
        if (version >= OfVersion.OF15) oxsStats(w, new long[] {-1, -1, packets, bytes}, fs.size());
        else w.u64(packets).u64(bytes).u32(fs.size()).zeros(4);
        return w.toBytes();
    }

    /** ofp13_table_features without properties: what ovs-ofctl reads to map table names (xvio's have none). */
    static byte[] tableFeatures(int table, int version) {
        Wire.Writer w = new Wire.Writer();
        w.u16(0).u8(table).u8(0).zeros(4).string("", 32).u64(-1L).u64(-1L).u32(0).u32(1_000_000);
        // the properties OVS requires (instructions, next tables, write/apply actions, match, wildcards,
        // write/apply set-field), each empty: ovs-ofctl only wants the table's name
        for (int type = 0; type <= 14; type += 2) w.u16(type).u16(4).zeros(4);
        w.put16(0, w.size());
        return w.toBytes();
    }

    static byte[] tableEntry(int table, int active, int version) {
        Wire.Writer w = new Wire.Writer();
        if (version == OfVersion.OF10) {
            w.u8(table).zeros(3).string(table == 0 ? "classifier" : "table" + table, 32).u32(Of10Match.ALL).u32(1_000_000)
                    .u32(active).u64(0).u64(0);
        } else {
            w.u8(table).zeros(3).u32(active).u64(0).u64(0);
        }
        return w.toBytes();
    }

    static byte[] portStats(OfSwitch.PortInfo p, int version, long uptimeNanos) {
        Wire.Writer w = new Wire.Writer();
        long sec = uptimeNanos / 1_000_000_000L, nsec = uptimeNanos % 1_000_000_000L;
        if (version == OfVersion.OF10) {
            w.u16(p.ofport()).zeros(6);
        } else if (version == OfVersion.OF13) {
            w.u32(Ports.to32(p.ofport())).zeros(4);
        } else {
            w.u16(0).zeros(2).u32(Ports.to32(p.ofport())).u32(sec).u32(nsec);
        }
        w.u64(p.rxPackets()).u64(p.txPackets()).u64(p.rxBytes()).u64(p.txBytes()).u64(p.rxDropped()).u64(p.txDropped())
                .u64(0).u64(0);
        if (version <= OfVersion.OF13) {
            w.u64(0).u64(0).u64(0).u64(0);                       // rx_frame_err, rx_over_err, rx_crc_err, collisions
            if (version == OfVersion.OF13) w.u32(sec).u32(nsec);
        } else {
            w.u16(0).u16(40).zeros(4).u64(0).u64(0).u64(0).u64(0);   // OFPPSPT14_ETHERNET
            w.put16(0, w.size());
        }
        return w.toBytes();
    }

    /** A port description (ofp10_phy_port, ofp11_port or ofp14_port). */
    static byte[] portDesc(OfSwitch.PortInfo p, int version) { return portDesc(p, version, false); }

    /** A port's description; linkDown sets OFPPS_LINK_DOWN in its state (as a port status of a link change shows). */
    static byte[] portDesc(OfSwitch.PortInfo p, int version, boolean linkDown) {
        int state = linkDown ? 1 : 0;
        Wire.Writer w = new Wire.Writer();
        long mac = 0x020000000000L | (p.ofport() & 0xffff);     // locally administered, unique per port
        if (version == OfVersion.OF10) {
            w.u16(p.ofport()).uN(mac, 6).string(p.name(), 16).u32(0).u32(state).u32(0).u32(0).u32(0).u32(0);
        } else if (version == OfVersion.OF13) {
            w.u32(Ports.to32(p.ofport())).zeros(4).uN(mac, 6).zeros(2).string(p.name(), 16).u32(0).u32(state)
                    .u32(0).u32(0).u32(0).u32(0).u32(0).u32(0);
        } else {
            w.u32(Ports.to32(p.ofport())).u16(72).zeros(2).uN(mac, 6).zeros(2).string(p.name(), 16).u32(0).u32(state);
            w.u16(0).u16(32).zeros(4).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0);   // OFPPDPT_ETHERNET
        }
        return w.toBytes();
    }
}
