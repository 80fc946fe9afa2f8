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
    public static final int HEADROOM = 128;
    public static final int SLOT = 16384;
    /** Largest frame a slot holds. */
    public static final int MAX_FRAME = SLOT - HEADROOM;

    public final MemorySegment data;
    public final int[] off = new int[BURST];
    public final int[] len = new int[BURST];
    public int count;

    public PacketBatch() {
        data = Arena.ofAuto().allocate((long) BURST * SLOT, 64);
        reset();
    }

    /** Puts every frame back at the start of its slot, after the headroom. */
    public void reset() {
        for (int i = 0; i < BURST; i++) off[i] = i * SLOT + HEADROOM;
        count = 0;
    }
}
