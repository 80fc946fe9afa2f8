package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/** A tracker plus the per-thread objects a PMD would keep, for tests: send(frame) returns the ct_state. */
final class Ct {
    final ConnTracker tracker;
    final FlowKey key = new FlowKey();
    final CtResult out = new CtResult();
    long now = TimeUnit.SECONDS.toNanos(1000);
    int zone;
    boolean commit = true;
    /** The PMD thread index the next sends use (0 or 1). */
    int thread;

    Ct(int capacity) { tracker = new ConnTracker(capacity, 2); }

    int send(byte[] frame) { return send(frame, zone, commit, false, null); }

    int send(byte[] frame, int zone, boolean commit, boolean force, NatAction nat) {
        MemorySegment s = MemorySegment.ofArray(frame);
        key.extract(s, 0, frame.length, 1);
        return tracker.track(key, s, 0, frame.length, zone, commit, force, nat, now, thread, out);
    }

    void advanceSeconds(long s) { now += TimeUnit.SECONDS.toNanos(s); }

    String dump() {
        StringBuilder b = new StringBuilder();
        for (CtEntry e : tracker.dump(-1, now)) b.append(e.format(false)).append('\n');
        return b.toString();
    }

    static final int NEW = CtState.NEW | CtState.TRK, EST = CtState.EST | CtState.TRK,
            EST_RPL = CtState.EST | CtState.RPL | CtState.TRK, INV = CtState.INV | CtState.TRK,
            REL = CtState.REL | CtState.TRK, REL_RPL = CtState.REL | CtState.RPL | CtState.TRK;
}
