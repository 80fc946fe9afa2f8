package io.xvio.datapath;

import io.xvio.datapath.conntrack.ConnTracker;
import io.xvio.datapath.conntrack.FragmentStore;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ct(table=T) on IP fragments in a bridge's datapath: a fragment is held in the tracker's {@link FragmentStore}
 * and leaves the pass; when its datagram is whole (tracked as one packet), every fragment goes on in a copy slot of
 * the burst that completed it, with the datagram's ct_* words, recirculated to table T. Fragments that find no free
 * copy slot wait in the store and go on at this thread's next burst on the bridge ({@link #beforeBurst}). Per-thread
 * state only (one emitter per thread, made once); nothing is allocated per packet.
 */
final class CtFragments {
    /** Where fragments go on: the recirc_id of "resume in table T" and the thread's recirculation queue. */
    interface Recirculation {
        int resumeId(int table);
        boolean queue(PacketBatch b, int j, int rid, int thread);
    }

    private static final AtomicInteger BRIDGES = new AtomicInteger();
    /** Tells this bridge's datagrams from another's in the daemon's shared store (recirc_ids are per bridge). */
    final int bridge = BRIDGES.incrementAndGet();
    private final Recirculation recirc;
    /** recirc_id per table (0: not asked yet, -1: none left). */
    private final int[] resumeIds = new int[256];
    /** Per thread (index thread + 2): whether completed fragments wait for a slot; the emitter. */
    private final boolean[] pending = new boolean[BridgeDatapath.MAX_THREADS + 2];
    private final Emitter[] emitters = new Emitter[BridgeDatapath.MAX_THREADS + 2];

    CtFragments(Recirculation recirc) { this.recirc = recirc; }

    /** The recirc_id fragments resume table with, or -1 if the bridge has none left. */
    int resumeId(int table) {
        int id = resumeIds[table & 0xff];
        if (id == 0) id = resumeIds[table & 0xff] = recirc.resumeId(table);     // once per table
        return id;
    }

    /** Sends on the fragments of datagrams thread completed (now or in an earlier burst), as copy slots allow. */
    void drain(FragmentStore fs, PacketBatch b, int thread) {
        Emitter e = emitters[thread + 2];
        if (e == null) e = emitters[thread + 2] = new Emitter(thread);
        e.batch = b;
        pending[thread + 2] = fs.drain(bridge, thread + 2, e);
        e.batch = null;
    }

    /** Once per burst: fragments left waiting go on; incomplete datagrams expire. A racy read when there are none. */
    void beforeBurst(ConnTracker tr, PacketBatch b, int thread, long now) {
        FragmentStore fs = tr.fragments();
        if (fs.datagrams() == 0) return;
        if (pending[thread + 2]) drain(fs, b, thread);
        fs.expire(now, 4);
    }

    /** Puts one held fragment into a copy slot with its key (its own headers, the metadata it had at ct()). */
    private final class Emitter implements FragmentStore.Sink {
        final int thread;
        PacketBatch batch;

        Emitter(int thread) { this.thread = thread; }

        @Override public boolean emit(MemorySegment s, long off, int len, long[] words, int at, long[] ct, int ctAt, int rid) {
            PacketBatch b = batch;
            int j = b.copyIn(s, off, len);
            if (j < 0) return false;
            FlowKey k = b.keys[j];
            k.extract(b.data, b.off[j], len, (int) words[at + FlowKey.IN_PORT]);
            // metadata as it was at the fragment's ct(): metadata, registers, pkt_mark, dp_hash, tunnel and ct words
            System.arraycopy(words, at + FlowKey.METADATA, k.w, FlowKey.METADATA, FlowKey.DL_SRC - FlowKey.METADATA);
            k.w[FlowKey.PKT_MARK] = words[at + FlowKey.PKT_MARK];
            k.w[FlowKey.DP_HASH] = words[at + FlowKey.DP_HASH];
            System.arraycopy(words, at + FlowKey.PACKET_WORDS, k.w, FlowKey.PACKET_WORDS, FlowKey.WORDS - FlowKey.PACKET_WORDS);
            k.extended = true;
            System.arraycopy(ct, ctAt, k.w, FlowKey.CT_MISC, FragmentStore.CT_WORDS);
            recirc.queue(b, j, rid, thread);      // a full queue counts its drop
            return true;
        }
    }
}
