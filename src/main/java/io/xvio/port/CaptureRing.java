package io.xvio.port;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded many-producer, one-consumer ring of captured frames, preallocated off-heap (nothing is allocated per
 * frame). PMD threads {@link #offer} frames (cut to {@link #snaplen}); one non-PMD thread {@link #poll}s them in the
 * order their space was claimed. A full ring drops the frame and counts it: a producer never waits.
 *
 * <p>Layout, as Agrona's many-to-one ring buffer: a record is an 8-byte-aligned run of {@link #HEADER} bytes
 * (length, original length, captured length, spare, timestamp) and the frame. A producer claims space by a CAS on
 * the tail, writes the record, then publishes its length with a release store; the consumer reads the length with
 * acquire (0: not yet written), takes the record, zeroes its bytes and moves the head with a release store, so a
 * producer that sees the new head also sees zeros there. A record never wraps: a producer that reaches the end
 * writes a padding record (negative length) and starts again at 0.
 */
public final class CaptureRing {
    public static final int HEADER = 24;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle HEAD, TAIL;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(CaptureRing.class, "head", long.class);
            TAIL = l.findVarHandle(CaptureRing.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** Drop counters are per thread (a row of their own each, single writer), summed by {@link #dropped}. */
    private static final int ROW = 16;

    private final MemorySegment buf;
    private final int capacity, mask, snaplen;
    private final long[] drops = new long[(PortCounters.MAX_THREADS + 2) * ROW];
    @SuppressWarnings("unused") private volatile long head;
    @SuppressWarnings("unused") private long pad1, pad2, pad3, pad4, pad5, pad6, pad7;
    @SuppressWarnings("unused") private volatile long tail;

    /** capacity: bytes, a power of two that holds at least one whole record of snaplen bytes. */
    public CaptureRing(int capacity, int snaplen) {
        if (Integer.bitCount(capacity) != 1 || capacity < 1024) throw new IllegalArgumentException("ring capacity must be a power of two, at least 1024: " + capacity);
        if (snaplen < 1) throw new IllegalArgumentException("snaplen must be at least 1: " + snaplen);
        if (align(HEADER + Math.min(snaplen, 1 << 20)) > capacity / 2)
            throw new IllegalArgumentException("ring of " + capacity + " bytes too small for snaplen " + snaplen);
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.snaplen = snaplen;
        this.buf = Arena.ofAuto().allocate(capacity, 8);
    }

    public int snaplen() { return snaplen; }

    public int capacity() { return capacity; }

    private static int align(int n) { return (n + 7) & ~7; }

    /**
     * Copies up to snaplen bytes of the frame (len bytes at off in src) with its original length and time; false if
     * the ring is full (counted in thread's drop row). Lock-free, never blocks.
     */
    public boolean offer(int thread, MemorySegment src, long off, int len, long nanos) {
        int cap = Math.min(len, snaplen);
        int rec = align(HEADER + cap);
        long t;
        int idx;
        long need;
        do {
            t = (long) TAIL.getVolatile(this);
            long h = (long) HEAD.getAcquire(this);
            idx = (int) (t & mask);
            int toEnd = capacity - idx;
            need = rec <= toEnd ? rec : (long) toEnd + rec;
            if (t + need - h > capacity) {
                drops[(thread + 1) * ROW]++;
                return false;
            }
        } while (!TAIL.compareAndSet(this, t, t + need));
        if (need != rec) {
            INT.setRelease(buf, (long) idx, -(capacity - idx));   // padding to the end
            idx = 0;
        }
        buf.set(ValueLayout.JAVA_INT, idx + 4, len);
        buf.set(ValueLayout.JAVA_INT, idx + 8, cap);
        buf.set(ValueLayout.JAVA_LONG, idx + 16, nanos);
        MemorySegment.copy(src, off, buf, idx + HEADER, cap);
        INT.setRelease(buf, (long) idx, rec);
        return true;
    }

    /** Takes a frame: what {@link #poll} hands over, valid only during the call. */
    @FunctionalInterface
    public interface Sink {
        void frame(MemorySegment data, long off, int capLen, int origLen, long nanos);
    }

    /** Hands the oldest published frame to sink and frees its space; false if there is none (yet). One consumer only. */
    public boolean poll(Sink sink) {
        while (true) {
            long h = head;
            int idx = (int) (h & mask);
            int l = (int) INT.getAcquire(buf, (long) idx);
            if (l == 0) return false;
            int size = l < 0 ? -l : l;
            if (l > 0) {
                sink.frame(buf, idx + HEADER, buf.get(ValueLayout.JAVA_INT, idx + 8), buf.get(ValueLayout.JAVA_INT, idx + 4),
                        buf.get(ValueLayout.JAVA_LONG, idx + 16));
            }
            for (long z = idx, end = (long) idx + size; z < end; z += 8) buf.set(ValueLayout.JAVA_LONG, z, 0L);   // no slice: nothing allocated
            HEAD.setRelease(this, h + size);
            if (l > 0) return true;
        }
    }

    /** Frames dropped because the ring was full (read racily: a sum of per-thread counters). */
    public long dropped() {
        long s = 0;
        for (int i = 0; i < drops.length; i += ROW) s += drops[i];
        return s;
    }
}
