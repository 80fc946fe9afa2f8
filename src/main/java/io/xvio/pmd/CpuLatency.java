package io.xvio.pmd;

import io.xvio.sys.Affinity;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Measures how long a cache line takes to go from one CPU to another and back: two threads, pinned to the two
 * CPUs, pass a token through one shared variable. Everything a vhost-user switch does crosses cores this way
 * (rings, descriptors, frames), so this round trip bounds its packet rate. On a VM whose host moves vCPUs
 * between near cores (shared L3, ~50 ns) and far ones (another core complex or socket, several hundred ns), the
 * rate of xvio, OVS-DPDK and testpmd alike drops by half or more; the benchmark rig measures this next to
 * every run (xvio cpu-latency).
 */
public final class CpuLatency {
    private static final VarHandle TOKEN;
    static {
        try {
            TOKEN = MethodHandles.lookup().findVarHandle(CpuLatency.class, "token", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // the token sits alone on its cache line(s)
    @SuppressWarnings("unused") private long p0, p1, p2, p3, p4, p5, p6, p7;
    @SuppressWarnings("unused") private volatile int token;
    private volatile boolean aborted;     // set by a side that could not pin itself: the other stops spinning
    @SuppressWarnings("unused") private long q0, q1, q2, q3, q4, q5, q6, q7;

    private CpuLatency() {}

    /** Pins the calling thread to cpu; if it cannot, records why in failed[side] and tells the other side to stop. */
    private boolean pin(int cpu, RuntimeException[] failed, int side) {
        try {
            Affinity.pinCurrentThread(cpu);
            return true;
        } catch (RuntimeException e) {
            failed[side] = e;
            aborted = true;
            return false;
        }
    }

    /**
     * Mean round trip in nanoseconds over the given number of exchanges (after a short warm-up), between two new
     * threads pinned to cpuA and cpuB (the caller's own affinity is left alone).
     */
    public static double roundTripNanos(int cpuA, int cpuB, int rounds) throws InterruptedException {
        CpuLatency c = new CpuLatency();
        RuntimeException[] failed = new RuntimeException[2];
        double[] result = {Double.NaN};
        Thread echo = Thread.ofPlatform().name("cpu-latency-" + cpuB).start(() -> {
            if (!c.pin(cpuB, failed, 1)) return;
            for (int i = 0; i < rounds; i++) {
                while ((int) TOKEN.getAcquire(c) != 1) {   // no pause: it would add its own latency
                    if (c.aborted) return;
                }
                TOKEN.setRelease(c, 0);
            }
        });
        Thread ping = Thread.ofPlatform().name("cpu-latency-" + cpuA).start(() -> {
            if (!c.pin(cpuA, failed, 0)) return;
            long start = 0;
            int warm = Math.min(rounds / 10, 10_000);
            for (int i = 0; i < rounds; i++) {
                if (i == warm) start = System.nanoTime();
                TOKEN.setRelease(c, 1);
                while ((int) TOKEN.getAcquire(c) == 1) {
                    if (c.aborted) return;
                }
            }
            result[0] = (double) (System.nanoTime() - start) / (rounds - warm);
        });
        ping.join();
        echo.join();
        if (failed[0] != null) throw failed[0];
        if (failed[1] != null) throw failed[1];
        return result[0];
    }
}
