package io.xvio.pmd;

import io.xvio.sys.Affinity;

import java.util.function.Consumer;

/**
 * Measures how much compute each of a set of CPUs gets, second by second: one thread pinned to each CPU runs
 * the same loop (integer work and updates to its own 256 KB table; nothing shared between the threads) and
 * counts its rounds. On bare metal every second looks the same. On a VM the counts drop whenever the host
 * gives a vCPU less than a whole core (another guest on the sibling hyperthread, or this guest's vCPUs packed
 * on one core); a packet rate measured in such a second drops with it, whatever the switch, which is why a
 * benchmark on a VM must be read over many runs (xvio cpu-speed).
 */
public final class CpuSpeed {
    /** Loop iterations per counted round: about a millisecond on a current core. */
    static final int ROUND = 1 << 18;
    private static final int TABLE = 1 << 16;   // ints: 256 KB, indexed by 16 bits of a chain

    /** One pinned thread's progress, alone on its cache lines so the threads do not slow each other. */
    @SuppressWarnings("unused")
    private static final class Worker {
        private long p0, p1, p2, p3, p4, p5, p6, p7;
        volatile long rounds;
        volatile long sink;
        volatile RuntimeException failed;
        private long q0, q1, q2, q3, q4, q5, q6, q7;
    }

    private static final class Stop { volatile boolean now; }

    private CpuSpeed() {}

    /**
     * Four independent xorshift chains (keeping the integer units busy) and an L2-sized table (256 KB) updated at
     * random: what a sibling hyperthread or a co-scheduled vCPU competes for. A dependent chain alone would not
     * notice a busy sibling.
     */
    private static void spin(int cpu, Worker me, Stop stop) {
        int[] table = new int[TABLE];
        long a = 0x9E3779B97F4A7C15L ^ cpu, b = a * 3, c = a * 5, d = a * 7;
        while (!stop.now) {
            for (int k = 0; k < ROUND; k++) {
                a ^= a << 13; a ^= a >>> 7; a ^= a << 17;
                b ^= b << 13; b ^= b >>> 7; b ^= b << 17;
                c ^= c << 13; c ^= c >>> 7; c ^= c << 17;
                d ^= d << 13; d ^= d >>> 7; d ^= d << 17;
                table[(int) (a >>> 48)] += (int) (b ^ c ^ d);
            }
            me.sink = a + table[(int) (d >>> 48)];
            me.rounds = me.rounds + 1;           // single writer
        }
    }

    /**
     * Runs the loop on every CPU in cpus at once for the given number of seconds and hands perSecond, after each
     * second, the rounds each CPU completed in it (index as in cpus). Throws the pinning error if a CPU cannot be
     * used (nothing is measured then).
     */
    public static void measure(int[] cpus, int seconds, Consumer<long[]> perSecond) throws InterruptedException {
        Worker[] w = new Worker[cpus.length];
        Thread[] t = new Thread[cpus.length];
        Stop stop = new Stop();
        for (int i = 0; i < cpus.length; i++) {
            Worker me = w[i] = new Worker();
            int cpu = cpus[i];
            t[i] = Thread.ofPlatform().daemon().name("cpu-speed-" + cpu).start(() -> {
                try {
                    Affinity.pinCurrentThread(cpu);
                    spin(cpu, me, stop);
                } catch (RuntimeException e) {
                    me.failed = e;
                }
            });
        }
        try {
            long[] last = new long[cpus.length];
            long next = System.nanoTime();
            for (int s = 0; s < seconds; s++) {
                next += 1_000_000_000L;
                long wait;
                while ((wait = next - System.nanoTime()) > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                rethrowFailure(w);
                long[] now = new long[cpus.length];
                for (int i = 0; i < cpus.length; i++) {
                    long r = w[i].rounds;
                    now[i] = r - last[i];
                    last[i] = r;
                }
                perSecond.accept(now);
            }
        } finally {
            stop.now = true;
            for (Thread th : t) th.join();
        }
        rethrowFailure(w);
    }

    /** Throws the first error a worker recorded (a CPU it could not pin itself to), if any. */
    private static void rethrowFailure(Worker[] w) {
        for (Worker k : w) if (k.failed != null) throw k.failed;
    }
}
