package io.xvio.pmd;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What polling one receive queue costs: busy nanoseconds and packets, written only by the PMD thread that polls the
 * queue (plain adds; a queue moves between threads only across a grace period, which orders the two writers) and
 * read by the load balancer and the show commands (opaque reads). One per (port, queue) for the queue's whole life,
 * so a queue keeps its history when it moves.
 */
public final class QueueLoad {
    private static final VarHandle BUSY, PACKETS;
    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(QueueLoad.class, "busyNanos", long.class);
            PACKETS = MethodHandles.lookup().findVarHandle(QueueLoad.class, "packets", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") private long pad0, pad1, pad2, pad3, pad4, pad5, pad6;
    private long busyNanos, packets;
    @SuppressWarnings("unused") private long pad7, pad8, pad9, pad10, pad11, pad12, pad13;

    /** Busy ns over the last balancing interval, and that interval's length (set by the balancer). */
    private volatile long lastBusy, lastInterval;

    /** Hot path: the polling thread adds a busy burst. */
    void add(long nanos, int n) {
        busyNanos += nanos;
        packets += n;
    }

    public long busyNanos() { return (long) BUSY.getOpaque(this); }

    public long packets() { return (long) PACKETS.getOpaque(this); }

    void measured(long busy, long interval) {
        lastBusy = busy;
        lastInterval = interval;
    }

    /** Busy ns in the last measured interval (0 before the first). */
    public long lastBusy() { return lastBusy; }

    /** The share of the last measured interval this queue kept its thread busy, in percent (0 before the first). */
    public double lastUsagePercent() {
        long i = lastInterval;
        return i <= 0 ? 0 : Math.min(100.0, 100.0 * lastBusy / i);
    }
}
