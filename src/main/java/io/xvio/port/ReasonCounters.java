package io.xvio.port;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Drop counters with a port's own reasons ("tx_dropped(kernel queue full)"), kept like {@link PortCounters}:
 * one row per poll-mode thread (single writer, plain adds), rows a cache line apart, summed by readers.
 */
final class ReasonCounters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private final String[] labels;
    private final int stride;
    private final long[] values;

    ReasonCounters(String... labels) {
        this.labels = labels.clone();
        this.stride = (labels.length + 7) & ~7;     // whole cache lines per row
        this.values = new long[(PortCounters.MAX_THREADS + 2) * stride];
    }

    /** Adds v to reason r in thread's row (thread -1 is the control plane's row). */
    void add(int thread, int reason, long v) {
        values[stride + (thread + 1) * stride + reason] += v;
    }

    long get(int reason) {
        long sum = 0;
        for (int t = 0; t <= PortCounters.MAX_THREADS; t++) sum += (long) LONGS.getOpaque(values, stride + t * stride + reason);
        return sum;
    }

    void putAll(Map<String, Long> into) {
        for (int r = 0; r < labels.length; r++) into.merge(labels[r], get(r), Long::sum);
    }

    Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        putAll(m);
        return m;
    }
}
