package io.xvio.datapath.meter;

import java.util.Locale;

/** Meters as ovs-ofctl dump-meters and meter-stats print them (lib/ofp-meter.c); add-meter reads the first back. */
public final class MeterFormat {
    private MeterFormat() {}

    /** ofputil_format_meter_config: "meter=1 kbps burst stats bands=\ntype=drop rate=10000 burst_size=1000\n". */
    public static String config(MeterConfig c) {
        StringBuilder sb = new StringBuilder("meter=").append(c.id()).append(' ');
        if (c.kbps()) sb.append("kbps ");
        if (c.pktps()) sb.append("pktps ");
        if (c.burst()) sb.append("burst ");
        if (c.stats()) sb.append("stats ");
        sb.append("bands=");
        for (MeterConfig.Band b : c.bands()) {
            sb.append("\ntype=").append(b.type().text).append(" rate=").append(b.rate());
            if (c.burst()) sb.append(" burst_size=").append(b.burstSize());
            if (b.type() == MeterConfig.BandType.DSCP_REMARK) sb.append(" prec_level=").append(b.precLevel());
        }
        return sb.append('\n').toString();
    }

    /** The meter in add-meter's one-line syntax: meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000. */
    public static String line(MeterConfig c) {
        return config(c).strip().replace(" bands=\n", ",bands=").replace('\n', ',').replace(' ', ',');
    }

    /**
     * ofputil_format_meter_stats: "meter:1 flow_count:1 packet_in_count:N byte_in_count:N duration:1.5s bands:\n0:
     * packet_count:N byte_count:N\n" (duration with milliseconds, as OVS's clock gives them).
     */
    public static String stats(LiveMeter m, int flowCount, long now) {
        StringBuilder sb = new StringBuilder("meter:").append(m.id())
                .append(" flow_count:").append(flowCount)
                .append(" packet_in_count:").append(m.packetsIn())
                .append(" byte_in_count:").append(m.bytesIn())
                .append(" duration:").append(duration(now - m.createdNanos()))
                .append(" bands:\n");
        for (int b = 0; b < m.config().bands().size(); b++)
            sb.append(b).append(": packet_count:").append(m.bandPackets(b)).append(" byte_count:").append(m.bandBytes(b)).append('\n');
        return sb.toString();
    }

    /** ofp_print_duration with millisecond precision: "12s", "1.500s". */
    static String duration(long nanos) {
        long ms = Math.max(0, nanos) / 1_000_000;
        return ms % 1000 == 0 ? ms / 1000 + "s" : String.format(Locale.ROOT, "%d.%03ds", ms / 1000, ms % 1000);
    }
}
