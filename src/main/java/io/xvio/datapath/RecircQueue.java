package io.xvio.datapath;

import io.xvio.packet.PacketBatch;

/**
 * One PMD thread's packets waiting to go through a bridge again (recirculation), with their recirc_id, for the
 * current burst. Each pass takes what the previous one queued; allocates nothing.
 */
final class RecircQueue {
    /** A burst's packets and copies, each recirculating up to the limit. */
    static final int CAPACITY = PacketBatch.SLOTS * (BridgeDatapath.MAX_RECIRCULATIONS + 1);

    final int[] packet = new int[CAPACITY];
    final int[] id = new int[CAPACITY];
    /**
     * The packet whose key this packet's key is a copy of, queued just before it with the same recirc_id (a ct run's
     * repeat, {@link BridgeDatapath}), else -1: it takes that packet's second-pass entry without a lookup.
     */
    final int[] twinOf = new int[CAPACITY];
    /** Entries [start, end) are this pass's; later ones the next pass's. */
    int start, end;

    /** Queues packet p for recirculation with id; false if the queue is full. */
    boolean add(int p, int recircId) { return add(p, recircId, -1); }

    /** Queues packet p, whose key is a copy of packet twin's (see {@link #twinOf}); false if the queue is full. */
    boolean add(int p, int recircId, int twin) {
        if (end == CAPACITY) return false;
        packet[end] = p;
        id[end] = recircId;
        twinOf[end] = twin;
        end++;
        return true;
    }

    boolean isEmpty() { return start == end; }

    void clear() { start = end = 0; }

    /** Whether every entry from e on is a packet of the burst itself (a slot below {@link PacketBatch#BURST}), no copy. */
    boolean onlyReceived(int e) {
        for (int x = e; x < end; x++) if (packet[x] >= PacketBatch.BURST) return false;
        return true;
    }
}
