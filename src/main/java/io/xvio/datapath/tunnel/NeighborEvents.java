package io.xvio.datapath.tunnel;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded lock-free queue from the PMD threads (many producers) to the control thread (one consumer) of neighbour
 * events: "no MAC for this next hop" (mac -1) and "this address is at this MAC" (snooped from ARP/ND). A slot is
 * claimed with a CAS on the tail and published with a release store of its sequence (Vyukov's bounded queue); offer
 * never blocks or allocates, and when the queue is full the event is dropped (the next packet offers it again).
 * {@link FlowHeaders} uses it the same way for (remote, VNI) misses.
 */
public final class NeighborEvents {
    private final int mask;
    private final long[] hi, lo, mac;
    private final AtomicLongArray seq;
    private final AtomicLong tail = new AtomicLong();
    private long head;

    public NeighborEvents(int capacity) {
        if (Integer.bitCount(capacity) != 1) throw new IllegalArgumentException("capacity must be a power of two");
        mask = capacity - 1;
        hi = new long[capacity];
        lo = new long[capacity];
        mac = new long[capacity];
        seq = new AtomicLongArray(capacity);
        for (int i = 0; i < capacity; i++) seq.set(i, i);
    }

    /** Any thread: queues an event; false if the queue is full. */
    public boolean offer(long h, long l, long m) {
        long t = tail.get();
        while (true) {
            int i = (int) t & mask;
            long s = seq.getAcquire(i);
            if (s == t) {
                if (tail.compareAndSet(t, t + 1)) {
                    hi[i] = h;
                    lo[i] = l;
                    mac[i] = m;
                    seq.setRelease(i, t + 1);
                    return true;
                }
                t = tail.get();
            } else if (s < t) return false;
            else t = tail.get();
        }
    }

    public interface Sink { void event(long hi, long lo, long mac); }

    /** The consumer thread only: hands every queued event to sink, in order; returns how many. */
    public int drain(Sink sink) {
        int n = 0;
        while (true) {
            int i = (int) head & mask;
            if (seq.getAcquire(i) != head + 1) return n;
            long h = hi[i], l = lo[i], m = mac[i];
            seq.setRelease(i, head + mask + 1);
            head++;
            n++;
            sink.event(h, l, m);
        }
    }
}
