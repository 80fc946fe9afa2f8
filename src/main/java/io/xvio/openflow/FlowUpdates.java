package io.xvio.openflow;

import io.xvio.datapath.Flow;

import java.util.ArrayList;
import java.util.List;

/**
 * Flow monitor replies and notifications in each version's layout, as OVS's ofputil_append_flow_update writes
 * them: NXST_FLOW_MONITOR replies (OpenFlow 1.0: nx_flow_update_full with an NXM match and 1.0 actions),
 * ONFST_FLOW_MONITOR (1.3: the same header, an OXM match and instructions) and OFPMP_FLOW_MONITOR (1.4+:
 * ofp_flow_update_full). Entries are packed into messages of at most 64 KiB, all but the last flagged REPLY_MORE.
 */
final class FlowUpdates {
    /** Events as OpenFlow 1.4 numbers them (OVS's internal numbering); Nicira's differ (see {@link #nxEvent}). */
    static final int INITIAL = 0, ADDED = 1, REMOVED = 2, MODIFIED = 3, ABBREV = 4, PAUSED = 5, RESUMED = 6;
    private static final int MAX_MSG = 65535;

    private final int version, xid;
    private final List<byte[]> out = new ArrayList<>();
    private Wire.Writer cur;
    private boolean empty = true;

    FlowUpdates(int version, int xid) {
        this.version = version;
        this.xid = xid;
        start();
    }

    private void start() {
        if (version == OfVersion.OF10) {
            cur = new Wire.Writer(version, OfType.OF10_STATS_REPLY, xid);
            cur.u16(OfType.MP_VENDOR).u16(0).u32(OfVersion.NX_VENDOR).u32(FlowMonitor.NXST_FLOW_MONITOR).zeros(4);
        } else if (version == OfVersion.OF13) {
            cur = new Wire.Writer(version, OfType.MULTIPART_REPLY, xid);
            cur.u16(OfType.MP_VENDOR).u16(0).zeros(4).u32(OfError.ONF_VENDOR).u32(FlowMonitor.ONF_FLOW_MONITOR);
        } else {
            cur = new Wire.Writer(version, OfType.MULTIPART_REPLY, xid);
            cur.u16(FlowMonitor.MP_FLOW_MONITOR).u16(0).zeros(4);
        }
    }

    boolean isEmpty() { return empty; }

    /** A full update of f (event ADDED/REMOVED/MODIFIED/INITIAL, reason OFPRR_* for REMOVED), actions if asked. */
    FlowUpdates full(Flow f, int event, int reason, boolean actions) {
        Wire.Writer w = new Wire.Writer();
        boolean withActions = actions && event != REMOVED;
        if (version < OfVersion.OF14) {
            w.u16(0).u16(nxEvent(event)).u16(event == REMOVED ? reason : 0).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout);
            int lenAt = w.size();
            w.u16(0).u8(f.table).u8(0).u64(f.cookie);
            int ml;
            if (version == OfVersion.OF10) {
                ml = NxMatch.write(f.match, w);
                if (withActions) OfActions.encodeActions(f.actions, version, w);
            } else {
                int at = w.size();
                FlowModCodec.writeOxmMatch(f.match, w);
                ml = ((w.toBytes()[at + 2] & 0xff) << 8) | (w.toBytes()[at + 3] & 0xff);
                if (withActions) OfActions.encodeInstructions(f.actions, version, w);
            }
            w.put16(lenAt, ml);
        } else {
            w.u16(0).u16(event).u8(f.table).u8(event == REMOVED ? reason : 0).u16(f.idleTimeout).u16(f.hardTimeout)
                    .u16(f.priority).zeros(4).u64(f.cookie);
            FlowModCodec.writeOxmMatch(f.match, w);
            if (withActions) OfActions.encodeInstructions(f.actions, version, w);
        }
        w.put16(0, w.size());
        return add(w.toBytes());
    }

    /** An abbreviated update: the xid of the connection's own request that made the change. */
    FlowUpdates abbrev(int requestXid) {
        Wire.Writer w = new Wire.Writer();
        w.u16(8).u16(version < OfVersion.OF14 ? 3 : ABBREV).u32(requestXid & 0xffffffffL);
        return add(w.toBytes());
    }

    private FlowUpdates add(byte[] entry) {
        if (cur.size() + entry.length > MAX_MSG) {
            cur.put16(10, OfStats.MORE);
            out.add(cur.finish());
            start();
        }
        cur.bytes(entry);
        empty = false;
        return this;
    }

    List<byte[]> finish() {
        out.add(cur.finish());
        return out;
    }

    /** NXFME_*: ADDED 0 (also for INITIAL), DELETED 1, MODIFIED 2, ABBREV 3. */
    static int nxEvent(int event) {
        return switch (event) {
            case INITIAL, ADDED -> 0;
            case REMOVED -> 1;
            case MODIFIED -> 2;
            default -> 3;
        };
    }

    /** NXT/ONFT_FLOW_MONITOR_PAUSED or _RESUMED (1.0, 1.3), or a 1.4+ reply with the PAUSED/RESUMED event. */
    static byte[] pause(int version, boolean paused) {
        if (version == OfVersion.OF10) {
            Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, 0);
            return w.u32(OfVersion.NX_VENDOR).u32(paused ? FlowMonitor.NXT_FLOW_MONITOR_PAUSED : FlowMonitor.NXT_FLOW_MONITOR_RESUMED).finish();
        }
        if (version == OfVersion.OF13) {
            Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, 0);
            return w.u32(OfError.ONF_VENDOR).u32(paused ? FlowMonitor.ONF_FLOW_MONITOR_PAUSED : FlowMonitor.ONF_FLOW_MONITOR_RESUMED).finish();
        }
        Wire.Writer w = new Wire.Writer(version, OfType.MULTIPART_REPLY, 0);
        return w.u16(FlowMonitor.MP_FLOW_MONITOR).u16(0).zeros(4).u16(8).u16(paused ? PAUSED : RESUMED).zeros(4).finish();
    }
}
