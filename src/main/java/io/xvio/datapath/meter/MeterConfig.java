package io.xvio.datapath.meter;

import java.util.List;

/**
 * An OpenFlow meter as ovs-ofctl add-meter gives it (ofputil_meter_config): its id (1..{@link #MAX_ID}), flags
 * (kbps or pktps, burst, stats) and bands. xvio, like OVS's userspace datapath, executes drop bands only; a meter
 * with {@code pktps} counts packets, else kilobits (OVS's dpif-netdev: pktps wins when both flags are given).
 */
public record MeterConfig(long id, boolean kbps, boolean pktps, boolean burst, boolean stats, List<Band> bands) {
    /** OFPM13_MAX: the highest meter id a flow may name. */
    public static final long MAX_ID = 0xffff0000L;
    /** OVS's dpif-netdev: at most 8 bands per meter (MAX_BANDS) and 2^18 meters (MAX_METERS). */
    public static final int MAX_BANDS = 8, MAX_METERS = 1 << 18;

    public enum BandType {
        DROP("drop"), DSCP_REMARK("dscp_remark");
        public final String text;
        BandType(String text) { this.text = text; }
    }

    /**
     * One band: above rate (kbps or packets/s) packets are dropped; burstSize (kilobits or packets) is the
     * bucket's depth, 0 when the meter has no burst flag (the datapath then uses rate, as OVS).
     */
    public record Band(BandType type, long rate, long burstSize, int precLevel) {}

    public MeterConfig {
        bands = List.copyOf(bands);
    }

    /** Whether rates count packets (pktps) rather than kilobits. */
    public boolean countsPackets() { return pktps; }

    /** The bucket depth the datapath uses for band b: burst_size, or the rate when none was given (as OVS). */
    public static long effectiveBurst(Band b) { return b.burstSize() == 0 ? b.rate() : b.burstSize(); }
}
