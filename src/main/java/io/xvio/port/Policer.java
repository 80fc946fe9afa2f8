package io.xvio.port;

import io.xvio.util.TokenBucket;

/**
 * A port's policer: a single-rate token bucket over bytes (DPDK's srTCM with EBS 0, what OVS's userspace datapath
 * uses for ingress_policing_rate and the egress-policer QoS type). A frame passes if the bucket holds its size
 * without the 14-byte Ethernet header (as OVS counts it for both); otherwise it is dropped. Shared by the PMD
 * threads that poll or send to the port, without locks ({@link TokenBucket}).
 */
public final class Policer {
    /** The Ethernet header OVS's policers do not count. */
    static final int ETH_HEADER = 14;

    private final TokenBucket bucket;
    private final long bytesPerSecond, burstBytes;

    /** bytesPerSecond: the committed rate (at least 1); burstBytes: the bucket's depth. */
    public Policer(long bytesPerSecond, long burstBytes, long now) {
        if (bytesPerSecond < 1) throw new IllegalArgumentException("a policer's rate must be at least 1 byte/s");
        if (burstBytes < 0 || burstBytes > MAX_BURST_BYTES) throw new IllegalArgumentException("a policer's burst must be 0..4e9 bytes");
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
        this.bucket = new TokenBucket(bytesPerSecond, burstBytes * TokenBucket.PER_SECOND_UNIT, now);
    }

    /** The deepest bucket (bytes): deeper ones act as this (4 GB, more than any burst a port carries). */
    public static final long MAX_BURST_BYTES = 4_000_000_000L;

    /**
     * ingress_policing_rate (kbps) and ingress_policing_burst (kb; 0: OVS's default 8000 kb), as OVS converts them;
     * both may be anything OVS's columns hold (0..2^32-1): a burst above 32,000,000 kb is {@link #MAX_BURST_BYTES}.
     */
    public static Policer ingress(long rateKbps, long burstKb, long now) {
        long burst = burstKb == 0 ? 8000 : burstKb;
        return new Policer(rateKbps * 1000 / 8, Math.min(burst * 1000 / 8, MAX_BURST_BYTES), now);
    }

    public long bytesPerSecond() { return bytesPerSecond; }
    public long burstBytes() { return burstBytes; }

    /** Whether a frame of len bytes passes now (System.nanoTime). */
    public boolean admit(int len, long now) {
        return bucket.admit(Math.max(0, len - ETH_HEADER) * TokenBucket.PER_SECOND_UNIT, now);
    }
}
