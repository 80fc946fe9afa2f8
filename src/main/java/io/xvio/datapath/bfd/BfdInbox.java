package io.xvio.datapath.bfd;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.tunnel.Be;
import io.xvio.util.SpscSlots;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The BFD control messages one tunnel port received, on their way from the PMD threads (which decapsulate) to the
 * BFD thread: OVS consumes BFD before the flow tables ({@code process_special}), so a frame for BFD's UDP port never
 * reaches OpenFlow while the port runs a session. One {@link SpscSlots} ring per producing thread, made on its first
 * message; a slot keeps what the session looks at (inner Ethernet destination, IPv4 destination and TTL, the tunnel
 * key, the UDP payload's first 64 bytes). Nothing allocated per message after that, nothing waits; a full ring drops
 * (BFD tolerates loss: a session goes down only after its multiplier's worth of intervals without a message).
 */
public final class BfdInbox {
    private static final int SLOTS = 8, PAYLOAD = 64, THREADS = BridgeDatapath.MAX_THREADS + 2;

    private static final class Ring {
        final SpscSlots slots = new SpscSlots(SLOTS);
        final long[] ethDst = new long[SLOTS], tunId = new long[SLOTS];
        final int[] ipDst = new int[SLOTS], ttl = new int[SLOTS], len = new int[SLOTS];
        final byte[][] payload = new byte[SLOTS][PAYLOAD];
    }

    /** What the BFD thread gets for one message (a view of a slot, valid until the consumer returns). */
    public interface Consumer { void message(long ethDst, int ipDst, int ttl, long tunId, byte[] payload, int len); }

    private final AtomicReferenceArray<Ring> rings = new AtomicReferenceArray<>(THREADS);
    private volatile boolean enabled;

    public boolean enabled() { return enabled; }

    /** Turns interception on (a session runs on the port) or off (its frames go to the flow tables again). */
    public void setEnabled(boolean on) { enabled = on; }

    /**
     * On a PMD thread: if the inner frame d[off, off+len) is for BFD (IPv4, UDP to port 3784, not a later fragment),
     * queues it and returns true (the caller drops it from the burst); else false.
     */
    public boolean offer(int thread, MemorySegment d, long off, int len, long tunId) {
        if (len < 42 || d.get(JAVA_BYTE, off + 12) != 0x08 || d.get(JAVA_BYTE, off + 13) != 0x00) return false;
        int ihl = (d.get(JAVA_BYTE, off + 14) & 15) * 4;
        if (ihl < 20 || d.get(JAVA_BYTE, off + 23) != 17 || len < 14 + ihl + 8) return false;
        if ((Be.u16(d, off + 20) & 0x1fff) != 0) return false;                   // a later fragment
        if (Be.u16(d, off + 14 + ihl + 2) != BfdMessage.UDP_PORT) return false;
        int ti = thread + 2;
        if (ti < 0 || ti >= THREADS) return true;                               // not a PMD thread: dropped
        Ring r = rings.get(ti);
        if (r == null) rings.set(ti, r = new Ring());                           // once per thread
        int s = r.slots.claim();
        if (s < 0) return true;                                                 // full: dropped, counted
        long mac = 0;
        for (int k = 0; k < 6; k++) mac = mac << 8 | d.get(JAVA_BYTE, off + k) & 0xff;
        r.ethDst[s] = mac;
        r.ipDst[s] = (int) ((long) Be.u16(d, off + 30) << 16 | Be.u16(d, off + 32));
        r.ttl[s] = d.get(JAVA_BYTE, off + 22) & 0xff;
        r.tunId[s] = tunId;
        int at = 14 + ihl + 8, n = Math.min(PAYLOAD, len - at);
        MemorySegment.copy(d, JAVA_BYTE, off + at, r.payload[s], 0, n);
        r.len[s] = n;
        r.slots.publish();
        return true;
    }

    /** On the BFD thread: hands every waiting message to c, oldest first per thread; returns how many. */
    public int drain(Consumer c) {
        int n = 0;
        for (int t = 0; t < THREADS; t++) {
            Ring r = rings.get(t);
            if (r == null) continue;
            for (int k = r.slots.ready(); k > 0; k--, n++) {
                int s = r.slots.oldest();
                try {
                    c.message(r.ethDst[s], r.ipDst[s], r.ttl[s], r.tunId[s], r.payload[s], r.len[s]);
                } finally {
                    r.slots.release();
                }
            }
        }
        return n;
    }

    /** Messages dropped because a thread's ring was full. */
    public long dropped() {
        long d = 0;
        for (int t = 0; t < THREADS; t++) {
            Ring r = rings.get(t);
            if (r != null) d += r.slots.dropped();
        }
        return d;
    }
}
