package io.xvio.datapath;

/**
 * A cached translation's hold on the flow its learn action installed (OVS's XC_LEARN entry): made on the translation
 * that queued the learning, pointed at the installed (or found) flow by the control thread that applied it, and touched
 * by every later hit of the megaflow entry, so the learned flow's idle and hard timers restart while packets keep
 * taking the path that learned it (OVS's ofproto_flow_mod_learn_refresh). A hit costs a volatile read and, at most
 * every 100 ms, a write; nothing is allocated.
 */
public final class LearnRef {
    private volatile Flow flow;

    /** The flow the learning installed or found (the control thread's call). */
    public void bind(Flow f) { flow = f; }

    public Flow flow() { return flow; }

    /** A hit of the entry that learned: the learned flow's timers restart (nothing yet if it is not installed). */
    void refresh(long now) {
        Flow f = flow;
        if (f != null) f.refresh(now);
    }
}
