package io.xvio.openflow;

import io.xvio.datapath.Flow;

/**
 * OFPT_FLOW_REMOVED in each layout OVS's ofputil_encode_flow_removed writes: OpenFlow 1.0 (ofp10 match, or Nicira's
 * NXT_FLOW_REMOVED with an NXM match for a connection that chose NXM or whose flow a 1.0 match cannot hold),
 * 1.1-1.4 (ofp12_flow_removed, OXM match) and 1.5 (ofp15_flow_removed, OXM match, OXS statistics). Before 1.4 a
 * meter delete is reported as a delete, as OVS does.
 */
final class FlowRemoved {
    private FlowRemoved() {}

    static final int NXT_FLOW_REMOVED = 14;

    static byte[] encode(Flow f, int reason, int version, boolean nxm, long now) {
        if (reason == AsyncConfig.RR_METER_DELETE && version < OfVersion.OF14) reason = AsyncConfig.RR_DELETE;
        long age = Math.max(0, now - f.createdNanos());
        long sec = age / 1_000_000_000L, nsec = age % 1_000_000_000L;
        Wire.Writer w;
        if (version == OfVersion.OF10 && (nxm || !Of10Match.fits(f.match))) {
            w = new Wire.Writer(version, OfType.VENDOR, 0);
            w.u32(OfVersion.NX_VENDOR).u32(NXT_FLOW_REMOVED);
            w.u64(f.cookie).u16(f.priority).u8(reason).u8(f.table + 1).u32(sec).u32(nsec).u16(f.idleTimeout);
            int lenAt = w.size();
            w.u16(0).u64(f.packetCount()).u64(f.byteCount());
            w.put16(lenAt, NxMatch.write(f.match, w));
        } else if (version == OfVersion.OF10) {
            w = new Wire.Writer(version, OfType.FLOW_REMOVED, 0);
            Of10Match.encode(f.match, w);
            w.u64(f.cookie).u16(f.priority).u8(reason).u8(0).u32(sec).u32(nsec).u16(f.idleTimeout).zeros(2)
                    .u64(f.packetCount()).u64(f.byteCount());
        } else if (version < OfVersion.OF15) {
            w = new Wire.Writer(version, OfType.FLOW_REMOVED, 0);
            w.u64(f.cookie).u16(f.priority).u8(reason).u8(f.table).u32(sec).u32(nsec).u16(f.idleTimeout).u16(f.hardTimeout)
                    .u64(f.packetCount()).u64(f.byteCount());
            FlowModCodec.writeOxmMatch(f.match, w);
        } else {
            w = new Wire.Writer(version, OfType.FLOW_REMOVED, 0);
            w.u8(f.table).u8(reason).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout).u64(f.cookie);
            FlowModCodec.writeOxmMatch(f.match, w);
            OfStats.oxsStats(w, new long[] {sec << 32 | nsec, -1, f.packetCount(), f.byteCount()}, -1);
        }
        return w.finish();
    }
}
