package io.xvio.datapath.tunnel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tunnel port's drops by {@link TunnelDrop}, counted per poll-mode thread: one row per thread (single writer, plain
 * adds), rows whole cache lines apart, summed by readers with opaque reads.
 */
public final class TunnelDrops {
    public static final int MAX_THREADS = io.xvio.util.PmdThreadLimit.MAX_THREADS;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int STRIDE = (TunnelDrop.values().length + 7) & ~7;
    private final long[] values = new long[(MAX_THREADS + 2) * STRIDE];

    /** Adds n to reason r in thread's row (thread -1: the control plane's and tests' row). */
    public void add(int thread, TunnelDrop r, long n) {
        values[STRIDE + (thread + 1) * STRIDE + r.ordinal()] += n;
    }

    public long get(TunnelDrop r) {
        long sum = 0;
        for (int t = 0; t <= MAX_THREADS; t++) sum += (long) LONGS.getOpaque(values, STRIDE + t * STRIDE + r.ordinal());
        return sum;
    }

    /** Every reason with a non-zero count, by label, in declaration order. */
    public Map<String, Long> nonZero() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (TunnelDrop r : TunnelDrop.values()) {
            long v = get(r);
            if (v != 0) m.put(r.label, v);
        }
        return m;
    }
}
