package io.xvio.datapath;

import io.xvio.datapath.action.Learn;

import java.util.Arrays;

/**
 * A cached translation's hold on the flow its learn action asked for (OVS's XC_LEARN entry): made on the translation
 * that queued the learning, with the learning and its source values; pointed at the installed (or found) flow by the
 * control thread that applied it; touched by every later hit of the megaflow entry. A hit restarts the learned flow's
 * idle and hard timers (OVS's ofproto_flow_mod_learn_refresh); if the flow has left the tables since (deleted by a
 * controller, expired), the hit queues the learning again, once, as OVS re-adds a removed learned rule. A hit costs
 * two volatile reads and, at most every 100 ms, a write; nothing is allocated.
 */
public final class LearnRef {
    final Learn learn;
    final long[] values;
    private volatile Flow flow;
    /** Queued and not applied yet (then a hit does nothing). */
    private volatile boolean pending = true;

    LearnRef(Learn learn, long[] values, int n) {
        this.learn = learn;
        this.values = Arrays.copyOf(values, n);
    }

    /** The flow the learning installed or found (the control thread's call). */
    public void bind(Flow f) {
        flow = f;
        pending = false;
    }

    public Flow flow() { return flow; }

    /**
     * A hit of the entry that learned: the learned flow's timers restart. True if the flow is gone from the tables and
     * the caller should queue the learning again (then pending until applied; {@link #requeueFailed} if it could not).
     */
    boolean refresh(long now) {
        if (pending) return false;
        Flow f = flow;
        if (f == null) return false;
        if (f.removed) {
            pending = true;
            return true;
        }
        f.refresh(now);
        return false;
    }

    /** The learning could not be queued again (queue full): a later hit tries again. */
    void requeueFailed() { pending = false; }
}
