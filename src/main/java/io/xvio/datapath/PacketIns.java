package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import io.xvio.util.SpscSlots;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Packets on their way to the OpenFlow controllers (the {@code controller} action, a table-miss flow), from the PMD
 * threads to the control thread. One ring per PMD thread (single producer, single consumer: {@link SpscSlots}), made on that thread's
 * first packet-in and reused for good: a slot holds the frame (up to {@link #SLOT_BYTES}; the controller's max_len
 * does not cut it, as in OVS, which buffers nothing), its whole length, the reason, table and cookie, and the packet's key words (in_port, metadata,
 * registers, conntrack metadata ...). Offering copies into a free slot and publishes it with a release store;
 * nothing is allocated, nothing waits. A full ring drops the packet-in and counts it ({@link #dropped}). While nobody
 * listens ({@link #setWanted} false) the datapath counts the packet as a CONTROLLER drop instead.
 */
public final class PacketIns {
    public static final int SLOTS = 64, SLOT_BYTES = 9216;
    /** Packet-in reasons, as OpenFlow 1.0-1.3 number them (OFPR_NO_MATCH, OFPR_ACTION). */
    public static final int NO_MATCH = 0, ACTION = 1;
    /**
     * OVS's internal reasons, never on the wire: a table-miss flow's controller action (OFPR_EXPLICIT_MISS: action
     * to OpenFlow 1.0-1.2, no_match to 1.3+) and a lookup that found no flow (OFPR_IMPLICIT_MISS: no_match).
     */
    public static final int EXPLICIT_MISS = 6, IMPLICIT_MISS = 7;

    /** What the control thread gets for one packet-in (a view of a slot, valid until the consumer returns). */
    public interface Sink {
        void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key);

        /** As the other, with the controller action's userdata (its hex text, or null). */
        default void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata) {
            packetIn(frame, len, totalLen, reason, table, cookie, key);
        }

        /** As the other, for a paused translation (paused: its continuation; null: not paused). */
        default void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata, Paused paused) {
            packetIn(frame, len, totalLen, reason, table, cookie, key, userdata);
        }

        /**
         * As the others (paused null: not paused), for the controller connections of controllerId (the controller
         * action's id, OVS's NXT_SET_CONTROLLER_ID; 0 by default). What {@link #drain} calls.
         */
        default void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata, Paused paused,
                              int controllerId) {
            if (paused == null) packetIn(frame, len, totalLen, reason, table, cookie, key, userdata);
            else packetIn(frame, len, totalLen, reason, table, cookie, key, userdata, paused);
        }
    }

    /** One thread's ring. */
    private static final class Ring {
        final byte[][] data = new byte[SLOTS][SLOT_BYTES];
        /** data's slots as segments, made once (a checksum is completed in them). */
        final MemorySegment[] views = new MemorySegment[SLOTS];
        { for (int s = 0; s < SLOTS; s++) views[s] = MemorySegment.ofArray(data[s]); }
        final int[] len = new int[SLOTS], totalLen = new int[SLOTS], reason = new int[SLOTS], table = new int[SLOTS];
        final long[] cookie = new long[SLOTS];
        /** The controller action's userdata (a reference to the action's own string: nothing allocated). */
        final String[] userdata = new String[SLOTS];
        /** A paused translation's continuation (null: not paused). */
        final Paused[] paused = new Paused[SLOTS];
        /** The controller action's connection id (0: the default connections). */
        final int[] controllerId = new int[SLOTS];
        final long[][] key = new long[SLOTS][FlowKey.WORDS];
        final SpscSlots slots = new SpscSlots(SLOTS);
    }

    private final AtomicReferenceArray<Ring> rings = new AtomicReferenceArray<>(BridgeDatapath.MAX_THREADS + 2);
    private volatile boolean wanted;
    /** Whether a table miss sends a packet-in (OVS's connmgr_wants_packet_in_on_miss); see BridgeDatapath.setPacketInOnMiss. */
    private volatile boolean onMiss;

    public boolean onMiss() { return onMiss; }

    void setOnMiss(boolean on) { onMiss = on; }

    /** Whether some controller takes packet-ins now. */
    public boolean wanted() { return wanted; }

    public void setWanted(boolean on) { wanted = on; }

    /**
     * Queues packet i of b for the controllers (thread: the PMD thread's index, -1 for callers without one).
     * maxLen: the controller's max_len, which OVS (buffering nothing) ignores, and so does xvio: the whole frame goes.
     * False if the ring was full (counted).
     */
    boolean offer(int thread, PacketBatch b, int i, int maxLen, int reason, int table, long cookie) {
        return offer(thread, b, i, maxLen, reason, table, cookie, null);
    }

    /** As the other, with the controller action's userdata (null: none). */
    boolean offer(int thread, PacketBatch b, int i, int maxLen, int reason, int table, long cookie, String userdata) {
        return offer(thread, b, i, maxLen, reason, table, cookie, userdata, null);
    }

    /** As the other, for a translation paused by controller(pause) (paused: its state; null: not paused). */
    boolean offer(int thread, PacketBatch b, int i, int maxLen, int reason, int table, long cookie, String userdata, Paused paused) {
        return offer(thread, b, i, maxLen, reason, table, cookie, userdata, paused, 0);
    }

    /** As the other, for the controller connections of controllerId (the controller action's id). */
    boolean offer(int thread, PacketBatch b, int i, int maxLen, int reason, int table, long cookie, String userdata, Paused paused, int controllerId) {
        int t = thread + 2;
        Ring r = rings.getPlain(t);
        if (r == null) {                                 // this thread's first packet-in: its ring, once
            r = new Ring();
            rings.setRelease(t, r);
        }
        int s = r.slots.claim();
        if (s < 0) return false;                         // full: counted
        // the whole frame whatever maxLen says, as OVS (its packet-ins are never buffered, and OpenFlow sends an
        // unbuffered packet whole: max_len only bounds what a switch that buffers sends)
        int total = b.len[i], n = Math.min(total, SLOT_BYTES);
        MemorySegment.copy(b.data, JAVA_BYTE, b.off[i], r.data[s], 0, n);
        // a partial checksum (a guest's or an uplink's offload) is completed, as OVS does before an upcall: a
        // controller that sends the frame back in a packet-out must not send it with a bad checksum
        if (n == total && b.offloads && (b.vflags[i] & io.xvio.packet.VnetHeader.F_NEEDS_CSUM) != 0)
            io.xvio.packet.VnetHeader.complete(r.views[s], 0, n, b.csumAt[i] - b.off[i], b.csumOffset[i]);
        r.len[s] = n;
        r.totalLen[s] = total;
        r.reason[s] = reason;
        r.table[s] = table;
        r.cookie[s] = cookie;
        r.userdata[s] = userdata;
        r.paused[s] = paused;
        r.controllerId[s] = controllerId;
        FlowKey k = b.keys[i];
        long[] kw = r.key[s];
        if (k.extended) {                                // tunnel or conntrack metadata: the controller sees ct_state etc.
            System.arraycopy(k.w, 0, kw, 0, FlowKey.WORDS);
        } else {
            System.arraycopy(k.w, 0, kw, 0, FlowKey.PACKET_WORDS);
            java.util.Arrays.fill(kw, FlowKey.PACKET_WORDS, FlowKey.WORDS, 0);
        }
        r.slots.publish();
        return true;
    }

    /** Hands every queued packet-in to sink, thread by thread; returns how many. The one consumer's call. */
    public int drain(Sink sink) {
        int n = 0;
        for (int t = 0; t < rings.length(); t++) {
            Ring r = rings.getAcquire(t);
            if (r == null) continue;
            for (int k = r.slots.ready(); k > 0; k--, n++) {
                int s = r.slots.oldest();
                try {
                    sink.packetIn(r.data[s], r.len[s], r.totalLen[s], r.reason[s], r.table[s], r.cookie[s], r.key[s], r.userdata[s], r.paused[s],
                            r.controllerId[s]);
                } finally {
                    r.paused[s] = null;
                    r.slots.release();
                }
            }
        }
        return n;
    }

    /** Packet-ins dropped because a ring was full (racy sum of the threads' counts). */
    public long dropped() {
        long d = 0;
        for (int t = 0; t < rings.length(); t++) {
            Ring r = rings.getAcquire(t);
            if (r != null) d += r.slots.dropped();
        }
        return d;
    }
}
