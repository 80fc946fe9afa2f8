package io.xvio.datapath;

import io.xvio.datapath.conntrack.ConnTracker;
import io.xvio.datapath.conntrack.FragmentStore;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ct() on IP fragments in a bridge's datapath: a fragment is held in the tracker's {@link FragmentStore} and leaves
 * the pass; when its datagram is whole (tracked as one packet), every fragment goes on in a copy slot of the burst
 * that completed it. With table=T: with the datagram's ct_* words, recirculated to T; fragments that find no free
 * copy slot wait in the store and go on at this thread's next burst on the bridge ({@link #beforeBurst}). Without a
 * table: untracked, each with the actions after the ct() of the packet that completed the datagram (as OVS's
 * datapath applies that packet's remaining actions to the batch the fragments join): the bridge replays its cached
 * translation from the op after the ct ({@link #released}), or, in a translation, the completing packet's place is
 * taken by the first fragment and the others replay what the translation recorded ({@link #takeFirst},
 * {@link #continuation}). Per-thread state only (made once per thread); nothing is allocated per packet (a
 * continuation entry once per datagram completed in a translation).
 */
final class CtFragments {
    /** Where fragments go on: the thread's recirculation queue. */
    interface Recirculation {
        boolean queue(PacketBatch b, int j, int rid, int thread);
    }

    private static final AtomicInteger BRIDGES = new AtomicInteger();
    /** Tells this bridge's datagrams from another's in the daemon's shared store (recirc_ids are per bridge). */
    final int bridge = BRIDGES.incrementAndGet();
    private final Recirculation recirc;
    /** Per thread (index thread + 2): whether completed fragments wait for a slot; the emitter. */
    private final boolean[] pending = new boolean[BridgeDatapath.MAX_THREADS + 2];
    private final Emitter[] emitters = new Emitter[BridgeDatapath.MAX_THREADS + 2];

    /**
     * Per thread: copy slots of fragments a ct() without table sent on, in order of offset: they go on with the
     * actions after that ct() (the completing packet's), which the caller replays for each ({@link #released}).
     */
    private final int[][] released = new int[BridgeDatapath.MAX_THREADS + 2][];
    private final int[] releasedN = new int[BridgeDatapath.MAX_THREADS + 2];
    /** Per thread: a translation's continuation (recorder, op index after its ct) for released [mark, n). */
    private final MegaflowCache.Recorder[] contRec = new MegaflowCache.Recorder[BridgeDatapath.MAX_THREADS + 2];
    private final int[] contFrom = new int[BridgeDatapath.MAX_THREADS + 2], contMark = new int[BridgeDatapath.MAX_THREADS + 2];
    /** Per thread: a recorder for fragments translated with the caches off (the continuation replays what it records). */
    private final MegaflowCache.Recorder[] recorders = new MegaflowCache.Recorder[BridgeDatapath.MAX_THREADS + 2];

    CtFragments(Recirculation recirc) { this.recirc = recirc; }

    int released(int thread) { return releasedN[thread + 2]; }

    int releasedSlot(int thread, int r) { return released[thread + 2][r]; }

    void truncate(int thread, int n) { releasedN[thread + 2] = n; }

    /**
     * A translation reached a ct() without table that completed a datagram (released [mark, n)): the first fragment
     * takes packet i's place (key words as after the ct: its own, untracked) and the translation goes on with it; the
     * others go on after the translation ({@link #continuation}) with the ops rec records from now on.
     */
    void takeFirst(PacketBatch b, int i, int thread, int mark, MegaflowCache.Recorder rec) {
        int[] rel = released[thread + 2];
        int j = rel[mark];
        b.off[i] = b.ownFrameStart(i);
        MemorySegment.copy(b.data, b.off[j], b.data, b.off[i], b.len[j]);
        b.len[i] = b.len[j];
        b.keys[i].copyFrom(b.keys[j]);
        b.checksumsUnknown(i);
        if (b.offloads) { b.vflags[i] = 0; b.gsoType[i] = 0; }
        System.arraycopy(rel, mark + 1, rel, mark, releasedN[thread + 2] - mark - 1);
        releasedN[thread + 2]--;
        if (rec == null || releasedN[thread + 2] == mark) {      // nothing to continue, or no recording (a trace)
            releasedN[thread + 2] = mark;
            return;
        }
        contRec[thread + 2] = rec;
        contFrom[thread + 2] = rec.n + 1;        // after the OP_CT the caller records next
        contMark[thread + 2] = mark;
    }

    /** The pending continuation of thread's translation as an entry to replay from {@link #continuationFrom}, or null. */
    MegaflowCache.Entry continuation(int thread) {
        MegaflowCache.Recorder r = contRec[thread + 2];
        if (r == null) return null;
        contRec[thread + 2] = null;
        return new MegaflowCache.Entry(r);      // once per datagram completed in a translation
    }

    int continuationFrom(int thread) { return contFrom[thread + 2]; }

    int continuationMark(int thread) { return contMark[thread + 2]; }

    /** A recorder for a fragment's translation when the caches are off (null for other packets). */
    MegaflowCache.Recorder recorderFor(FlowKey k, int thread) {
        if ((k.w[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY) == 0 || thread + 2 >= recorders.length || thread < 0) return null;
        MegaflowCache.Recorder r = recorders[thread + 2];
        if (r == null) r = recorders[thread + 2] = new MegaflowCache.Recorder();    // once per thread
        r.reset(k.w);
        return r;
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
            if (rid == 0) {                       // after a ct() without table: its own key as before, untracked
                System.arraycopy(words, at, k.w, 0, FlowKey.WORDS);
                k.extended = true;
                for (int x = FlowKey.CT_MISC; x <= FlowKey.CT_TP; x++) k.w[x] = 0;
                int[] rel = released[thread + 2];
                if (rel == null) rel = released[thread + 2] = new int[PacketBatch.SLOTS];    // once per thread
                rel[releasedN[thread + 2]++] = j;
                return true;
            }
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
