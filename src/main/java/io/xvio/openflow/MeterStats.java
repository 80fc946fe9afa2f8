package io.xvio.openflow;

import io.xvio.datapath.meter.LiveMeter;
import io.xvio.datapath.meter.MeterConfig;

import java.util.List;

/**
 * The meter multiparts (OpenFlow 1.3+), as OVS's ofp-meter.c writes them: OFPMP_METER_CONFIG (flags, id, bands),
 * OFPMP_METER (flow count, packets and bytes in, duration, per band packets and bytes dropped) and
 * OFPMP_METER_FEATURES (what xvio's datapath runs: 2^18 meters, drop bands, at most 8 bands a meter).
 */
final class MeterStats {
    private MeterStats() {}

    /** The meter a config or stats request names (OFPM13_ALL: all); the body is meter_id and 4 bytes of padding. */
    static long requestedMeter(Wire.Reader r) {
        if (r.remaining() < 8) throw OfError.BAD_LEN.fail("meter request body of " + r.remaining() + " bytes (8 expected)");
        long id = r.u32();
        r.skip(4);
        return id;
    }

    static List<LiveMeter> selected(List<LiveMeter> all, long id) {
        if (id == MeterMod.ALL) return all;
        return all.stream().filter(m -> m.id() == id).toList();
    }

    static byte[] config(MeterConfig c) {
        Wire.Writer w = new Wire.Writer();
        int flags = (c.kbps() ? MeterMod.KBPS : 0) | (c.pktps() ? MeterMod.PKTPS : 0) | (c.burst() ? MeterMod.BURST : 0) | (c.stats() ? MeterMod.STATS : 0);
        w.u16(8 + 16 * c.bands().size()).u16(flags).u32(c.id());
        for (MeterConfig.Band b : c.bands()) {
            boolean dscp = b.type() == MeterConfig.BandType.DSCP_REMARK;
            w.u16(dscp ? MeterMod.BAND_DSCP_REMARK : MeterMod.BAND_DROP).u16(16).u32(b.rate()).u32(b.burstSize()).u8(dscp ? b.precLevel() : 0).zeros(3);
        }
        return w.toBytes();
    }

    static byte[] stats(LiveMeter m, int flowCount, long now) {
        int bands = m.config().bands().size();
        Wire.Writer w = new Wire.Writer();
        long age = Math.max(0, now - m.createdNanos());
        w.u32(m.id()).u16(40 + 16 * bands).zeros(6).u32(flowCount).u64(m.packetsIn()).u64(m.bytesIn())
                .u32(age / 1_000_000_000L).u32(age % 1_000_000_000L);
        for (int b = 0; b < bands; b++) w.u64(m.bandPackets(b)).u64(m.bandBytes(b));
        return w.toBytes();
    }

    static byte[] features() {
        Wire.Writer w = new Wire.Writer();
        w.u32(MeterConfig.MAX_METERS).u32(1 << MeterMod.BAND_DROP).u32(MeterMod.KBPS | MeterMod.PKTPS | MeterMod.BURST | MeterMod.STATS)
                .u8(MeterConfig.MAX_BANDS).u8(0).zeros(2);
        return w.toBytes();
    }
}
