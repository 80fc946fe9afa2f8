package io.xvio.sys;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * One AF_XDP ring (fill, completion, rx or tx) as mapped from the kernel: a u32 producer and a u32 consumer index
 * that run freely and wrap at 2^32, a u32 flags word and {@code size} (a power of two) entries. One side of a ring
 * is user space, the other the kernel; the user-space side has a single thread and keeps cached copies of both
 * indices, reading the kernel's index (acquire) only when the cached one does not show enough room or entries, and
 * publishing its own (release) after writing or reading the entries. No allocation.
 *
 * <p>As a producer (fill, tx): {@link #reserve}, write entries at {@link #producerEntry}, {@link #submit}. As a
 * consumer (rx, completion): {@link #peek}, read entries at {@link #consumerEntry}, {@link #release}.
 */
public final class XskRing {
    static final VarHandle INT = JAVA_INT.varHandle();
    /** XDP_RING_NEED_WAKEUP in the flags word: the kernel wants a system call to make progress. */
    static final int NEED_WAKEUP = 1;

    private final MemorySegment mem;
    private final long producer, consumer, flags, desc;
    private final int size, mask, entrySize;
    private int cachedProd, cachedCons;

    /** A ring in mem with its indices, flags and entries at the given offsets (from XDP_MMAP_OFFSETS). */
    public XskRing(MemorySegment mem, long producer, long consumer, long flags, long desc, int size, int entrySize) {
        if (Integer.bitCount(size) != 1) throw new IllegalArgumentException("ring size must be a power of two: " + size);
        if (desc + (long) size * entrySize > mem.byteSize()) throw new IllegalArgumentException("ring entries beyond the mapping");
        this.mem = mem;
        this.producer = producer;
        this.consumer = consumer;
        this.flags = flags;
        this.desc = desc;
        this.size = size;
        this.mask = size - 1;
        this.entrySize = entrySize;
        this.cachedProd = (int) INT.getAcquire(mem, producer);
        this.cachedCons = (int) INT.getAcquire(mem, consumer);
    }

    public int size() { return size; }

    /** Producer: how many of want entries (at most) are free now; refreshes the consumer index only if short. */
    public int reserve(int want) {
        int free = size - (cachedProd - cachedCons);
        if (free < want) {
            cachedCons = (int) INT.getAcquire(mem, consumer);
            free = size - (cachedProd - cachedCons);
        }
        return Math.min(free, want);
    }

    /** Producer: publishes n entries written at producerEntry(0..n-1). */
    public void submit(int n) {
        cachedProd += n;
        INT.setRelease(mem, producer, cachedProd);
    }

    /** Consumer: how many of want entries (at most) are ready; refreshes the producer index only if short. */
    public int peek(int want) {
        int ready = cachedProd - cachedCons;
        if (ready < want) {
            cachedProd = (int) INT.getAcquire(mem, producer);
            ready = cachedProd - cachedCons;
        }
        return Math.min(ready, want);
    }

    /** Consumer: gives back n entries read at consumerEntry(0..n-1). */
    public void release(int n) {
        cachedCons += n;
        INT.setRelease(mem, consumer, cachedCons);
    }

    /** Offset in {@link #memory()} of the i-th entry after the producer index (where a producer writes next). */
    public long producerEntry(int i) { return desc + (long) ((cachedProd + i) & mask) * entrySize; }

    /** Offset in {@link #memory()} of the i-th entry after the consumer index (where a consumer reads next). */
    public long consumerEntry(int i) { return desc + (long) ((cachedCons + i) & mask) * entrySize; }

    public MemorySegment memory() { return mem; }

    /** Entries the other side has not consumed yet, as far as this side knows after refreshing (producer). */
    public int pending() {
        cachedCons = (int) INT.getAcquire(mem, consumer);
        return cachedProd - cachedCons;
    }

    /** Whether the kernel set XDP_RING_NEED_WAKEUP. */
    public boolean needsWakeup() {
        return ((int) INT.getAcquire(mem, flags) & NEED_WAKEUP) != 0;
    }
}
