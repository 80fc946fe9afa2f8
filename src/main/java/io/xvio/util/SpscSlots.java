package io.xvio.util;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The indices of a single-producer, single-consumer ring whose payload its owner keeps in arrays of its own, one
 * element per slot (preallocated frames, keys, references: no allocation per element). The producer {@link #claim}s
 * the next free slot, fills the owner's arrays at that index and {@link #publish}es it with a release store; the
 * consumer sees {@link #ready} slots (an acquire load: their contents are visible), reads the {@link #oldest} and
 * {@link #release}s it, which gives it back to the producer (a release store: the consumer's reads are done first).
 * A full ring refuses the claim and counts a drop; nothing waits, nothing locks. The PMD-to-control queues
 * (learnings, packet-ins, too-big answers) are one of these per producing thread.
 *
 * <p>One producer thread and one consumer thread at a time; {@link #dropped} may be read by any thread.
 */
public final class SpscSlots {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Indices into counts: the producer's fields, then the consumer's 128 bytes away (no false sharing). */
    private static final int WRITTEN = 0, DROPPED = 1, TAKEN = 16;

    private final int slots, mask;
    private final long[] counts = new long[32];

    /** A ring of slots slots (a power of two). */
    public SpscSlots(int slots) {
        if (slots <= 0 || Integer.bitCount(slots) != 1) throw new IllegalArgumentException("slots must be a power of two, not " + slots);
        this.slots = slots;
        this.mask = slots - 1;
    }

    public int slots() { return slots; }

    /**
     * Producer: the slot to fill next, or -1 if the ring is full (the drop is counted). Claiming again without
     * {@link #publish} gives the same slot (a producer may give up on a claimed slot).
     */
    public int claim() {
        long written = counts[WRITTEN];
        if (written - (long) LONGS.getAcquire(counts, TAKEN) >= slots) {
            LONGS.setOpaque(counts, DROPPED, counts[DROPPED] + 1);
            return -1;
        }
        return (int) written & mask;
    }

    /** Producer: hands the claimed slot, now filled, to the consumer. */
    public void publish() { LONGS.setRelease(counts, WRITTEN, counts[WRITTEN] + 1); }

    /** Consumer: how many published slots wait to be taken. */
    public int ready() { return (int) ((long) LONGS.getAcquire(counts, WRITTEN) - counts[TAKEN]); }

    /** Consumer: the oldest waiting slot (meaningful while {@link #ready} is above 0). */
    public int oldest() { return (int) counts[TAKEN] & mask; }

    /** Consumer: done with the oldest slot; the producer may fill it again. */
    public void release() { LONGS.setRelease(counts, TAKEN, counts[TAKEN] + 1); }

    /** Claims refused because the ring was full, so far (any thread; may lag the producer slightly). */
    public long dropped() { return (long) LONGS.getOpaque(counts, DROPPED); }
}
