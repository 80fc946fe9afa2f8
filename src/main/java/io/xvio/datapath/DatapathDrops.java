package io.xvio.datapath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Why a bridge's pipeline dropped packets, counted per poll-mode thread: one row per thread (single writer,
 * plain adds, no lost updates between threads), rows a cache line apart, summed by readers. Row 0 is for
 * callers without a thread number (tests, the control plane).
 */
public final class DatapathDrops {
    public enum Reason {
        NO_MATCH("no matching flow"), LOOP("output to the input port"), TTL("ttl exceeded"),
        VLAN("VLAN not allowed on the input port"), COPIES("too many copies in one burst"),
        RESERVED_MAC("reserved multicast destination (01:80:c2:00:00:0x, ...)"), FRAGMENT("IP fragment (frag mode drop)"),
        RESUBMIT_DEPTH("resubmit depth over " + BridgeDatapath.MAX_RESUBMIT_DEPTH),
        RESUBMITS("more than " + BridgeDatapath.MAX_RESUBMITS + " lookups and group buckets for one packet"),
        GROUP_MISSING("group does not exist"), GROUP_NO_LIVE_BUCKET("group has no live bucket"),
        RECIRC_DEPTH("recirculated more than " + BridgeDatapath.MAX_RECIRCULATIONS + " times"),
        RECIRC_QUEUE("recirculation queue full"), NO_PORT("output to a port that does not exist"),
        CONTROLLER("sent to controller, none connected"),
        PACKET_IN_QUEUE("packet-in queue to the controllers full"),
        METER("meter band"),
        PATCH_LOOP("patch ports crossed more than " + PatchLayout.MAX_HOPS + " times (a loop)"),
        LEARN_QUEUE("learn queue to the control plane full (the flow was not learned)");

        public final String label;
        Reason(String label) { this.label = label; }
    }

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int STRIDE = 32;        // 256 bytes: a row holds every reason, no two threads' rows share a cache line
    private final long[] values = new long[(BridgeDatapath.MAX_THREADS + 2) * STRIDE];

    /** Adds n to reason r in thread's row (thread -1: the row of callers without a PMD thread; -2, a trace: the pad row, never summed). */
    void add(int thread, Reason r, long n) {
        values[STRIDE + (thread + 1) * STRIDE + r.ordinal()] += n;
    }

    /** Empties the trace's row (see {@link #add}); the control thread's, under BridgeDatapath.trace's lock. */
    void clearTraceRow() { java.util.Arrays.fill(values, 0, STRIDE, 0); }

    /** The trace's drops by label. */
    Map<String, Long> traceRow() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Reason r : Reason.values()) if (values[r.ordinal()] != 0) m.put(r.label, values[r.ordinal()]);
        return m;
    }

    public long get(Reason r) {
        long sum = 0;
        for (int t = 0; t <= BridgeDatapath.MAX_THREADS; t++) sum += (long) LONGS.getOpaque(values, STRIDE + t * STRIDE + r.ordinal());
        return sum;
    }

    /** Every reason with a non-zero count, by label. */
    public Map<String, Long> nonZero() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Reason r : Reason.values()) {
            long v = get(r);
            if (v != 0) m.put(r.label, v);
        }
        return m;
    }

    /** PMD thread's drops (its row alone) by label, every reason with a non-zero count. */
    public Map<String, Long> nonZero(int thread) {
        Map<String, Long> m = new LinkedHashMap<>();
        if (thread < 0 || thread >= BridgeDatapath.MAX_THREADS) return m;
        for (Reason r : Reason.values()) {
            long v = (long) LONGS.getOpaque(values, STRIDE + (thread + 1) * STRIDE + r.ordinal());
            if (v != 0) m.put(r.label, v);
        }
        return m;
    }
}
