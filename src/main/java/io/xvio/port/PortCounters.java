package io.xvio.port;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-port counters, one row per poll-mode thread so each row has a single writer (no atomics on the hot
 * path); readers sum the rows. Rows are 128 bytes apart so threads never share a cache line.
 */
public final class PortCounters {
    public enum Counter {
        RX_PACKETS("rx_packets"), RX_BYTES("rx_bytes"), TX_PACKETS("tx_packets"), TX_BYTES("tx_bytes"),
        TX_DROP_NO_BUFFER("tx_dropped(guest ring full)"), TX_DROP_DOWN("tx_dropped(port down)"),
        TX_DROP_TOO_BIG("tx_dropped(frame too big)"), RX_DROP_NO_MATCH("rx_dropped(no flow)"),
        /** GSO frames a port received whole and segmented itself (the segments count as rx_packets). */
        RX_GSO_FRAMES("rx_gso_frames"),
        /** Transmit offloads (SoftwareOffload): GSO frames the receiver took whole, GSO frames cut in software and
         * the segments that made, partial checksums completed in software. */
        TX_GSO_WHOLE("tx_gso_whole"), TX_GSO_SEGMENTED("tx_gso_segmented"), TX_GSO_SEGMENTS("tx_gso_segments"),
        TX_CSUM_COMPLETED("tx_csum_completed"),
        TX_DROP_GSO("tx_dropped(gso: not segmentable)"),
        /** Frames the port's ingress policer or egress policer dropped ({@link Policing}). */
        RX_DROP_POLICED("rx_dropped(policing)"), TX_DROP_POLICED("tx_dropped(policing)"),
        /** GSO frames a port received whole and passed on with their offload state (a TAP with offloads). */
        RX_GSO_WHOLE("rx_gso_whole"),
        /** Times a vhost-user port offered the rest of a burst again after the guest's ring ran out (OVS's tx_retries). */
        TX_RETRIES("tx_retries");

        public final String label;
        Counter(String label) { this.label = label; }
    }

    public static final int MAX_THREADS = io.xvio.util.PmdThreadLimit.MAX_THREADS;
    /** The port's policers (beside its counters, so every kind of port has them without a field of its own). */
    public final PortPolicing policing = new PortPolicing();
    /** Who captures or mirrors the port's frames (beside its counters, for the same reason). */
    public final PortTaps taps = new PortTaps();
    private static final int STRIDE = Math.max(16, (Counter.values().length + 7) & ~7);   // whole cache lines
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] values = new long[(MAX_THREADS + 1) * STRIDE];

    /** Adds v to counter c in thread's row. Plain write: only that thread writes its row. */
    public void add(int thread, Counter c, long v) {
        int i = STRIDE + thread * STRIDE + c.ordinal();
        values[i] += v;
    }

    public long get(Counter c) {
        long sum = 0;
        for (int t = 0; t < MAX_THREADS; t++) sum += (long) LONGS.getOpaque(values, STRIDE + t * STRIDE + c.ordinal());
        return sum;
    }
}
