package io.xvio.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Up to {@link #BURST} frames in one off-heap buffer, one fixed slot each. A frame starts at {@code off[i]}
 * with {@link #HEADROOM} free bytes before it (room for a virtio-net header, pushed VLAN tags, tunnel headers).
 * Owned by one poll-mode thread and reused for every burst: nothing is allocated per packet.
 */
public final class PacketBatch {
    public static final int BURST = 32;
    /** Slots after the first BURST hold copies the datapath makes (a packet sent two different ways). */
    public static final int SLOTS = 2 * BURST;
    public static final int HEADROOM = 128;
    public static final int SLOT = 16384;
    /**
     * Distance between slot starts: a slot plus three cache lines. With a stride of exactly 16 KiB every frame's
     * first lines would map to the same L1/L2 cache sets and a burst would evict itself.
     */
    public static final int STRIDE = SLOT + 192;
    /** Largest frame a slot holds. */
    public static final int MAX_FRAME = SLOT - HEADROOM;

    public final MemorySegment data;
    public final int[] off = new int[SLOTS];
    public final int[] len = new int[SLOTS];
    public final FlowKey[] keys = new FlowKey[SLOTS];
    /** Received packets are 0..count-1; copies are BURST..BURST+copies-1. */
    public int count, copies;

    public PacketBatch() {
        data = Arena.ofAuto().allocate((long) SLOTS * STRIDE, 64);
        for (int i = 0; i < SLOTS; i++) keys[i] = new FlowKey();
        reset();
    }

    /** Puts every frame back at the start of its slot, after the headroom. */
    public void reset() {
        for (int i = 0; i < SLOTS; i++) off[i] = frameStart(i);
        count = 0;
        copies = 0;
    }

    /** Where slot i's frame starts when nothing moved it. */
    public static int frameStart(int i) { return i * STRIDE + HEADROOM; }

    /** Copies packet i (frame and key) into a free copy slot; returns its index, or -1 if none is left. */
    public int copy(int i) {
        if (copies == BURST) return -1;
        int j = BURST + copies++;
        off[j] = frameStart(j);
        MemorySegment.copy(data, off[i], data, off[j], len[i]);
        len[j] = len[i];
        keys[j].copyFrom(keys[i]);
        return j;
    }
}
