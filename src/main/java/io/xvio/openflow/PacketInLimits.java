package io.xvio.openflow;

/**
 * The packet-in rate limit of a bridge's controller connections, as OVS's Controller columns
 * {@code controller_rate_limit} (packets a second, at least 100) and {@code controller_burst_limit} (packets, at
 * least 25; 0: rate / 4). OVS limits when either is set (a burst alone: a rate of 1000); neither: no limit (null).
 */
public record PacketInLimits(int rate, int burst) {
    public static final int DEFAULT_RATE = 1000;

    public PacketInLimits {
        if (rate < PacketInScheduler.MIN_RATE) throw new IllegalArgumentException("controller_rate_limit " + rate + " is below " + PacketInScheduler.MIN_RATE);
        if (burst != 0 && burst < PacketInScheduler.MIN_BURST) throw new IllegalArgumentException("controller_burst_limit " + burst + " is below " + PacketInScheduler.MIN_BURST);
    }

    /** The limits for the columns (0: unset), or null when neither is set. */
    public static PacketInLimits of(long rate, long burst) {
        if (rate <= 0 && burst <= 0) return null;
        return new PacketInLimits((int) Math.min(Integer.MAX_VALUE, rate > 0 ? rate : DEFAULT_RATE), (int) Math.min(Integer.MAX_VALUE, Math.max(0, burst)));
    }

    /** The burst in force (rate / 4 when unset). */
    public int effectiveBurst() { return Math.max(PacketInScheduler.MIN_BURST, burst > 0 ? burst : rate / 4); }

    @Override public String toString() { return rate + "/s, burst " + effectiveBurst(); }
}
