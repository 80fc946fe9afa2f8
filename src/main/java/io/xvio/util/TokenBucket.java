package io.xvio.util;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A token bucket shared by every poll-mode thread, without locks: a meter band or a port policer. It holds up to
 * {@code capacity} units and gains {@code rate} units per nanosecond of the clock the callers pass (so callers pick
 * the unit: a kbps rate R is R micro-bits per ns, a packets/s rate R is R nano-packets per ns, a bytes/s rate is
 * R nano-bytes per ns; see {@link #KBPS_BIT} and friends). It starts full, as OVS's meters and DPDK's srTCM do.
 *
 * <p><b>Why two CAS words and not a lock or per-thread shares.</b> Several PMD threads can meter the same flow (one
 * meter, many receive queues). A lock would put a PMD thread to sleep behind another. Per-thread shares of rate and
 * burst would be exact only if the traffic were spread evenly over the threads: a single TCP stream arrives on one
 * queue and would get 1/N of the rate. So the bucket is one word updated with compare-and-set, as OVS's
 * dpif-netdev does ({@code atomic_sat_add} / {@code atomic_bound_sub} in dp_netdev_run_meter): {@code last}, the
 * clock up to which the bucket was refilled, only moves forward and the thread that moves it adds the tokens of
 * that interval (a thread whose clock is behind adds nothing), so the tokens ever added are at most rate times the
 * time the clock advanced and no interval is counted twice; {@link #take} subtracts only if enough is left. No
 * thread ever waits for another: a failed CAS means another thread made progress. The cost is one contended cache
 * line when several threads hit the same bucket in the same microsecond (the object is padded so two buckets never
 * share a line). No allocation.
 */
public final class TokenBucket {
    /** Units per bit of a kbps rate (R kbit/s = R micro-bits per ns). */
    public static final long KBPS_BIT = 1_000_000L;
    /** Units per packet of a packets/s rate, and per byte of a bytes/s rate (R per s = R nano-units per ns). */
    public static final long PER_SECOND_UNIT = 1_000_000_000L;

    private static final VarHandle TOKENS, LAST;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TOKENS = l.findVarHandle(TokenBucket.class, "tokens", long.class);
            LAST = l.findVarHandle(TokenBucket.class, "last", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") private long p0, p1, p2, p3, p4, p5, p6;
    private volatile long tokens;
    private volatile long last;
    @SuppressWarnings("unused") private long q0, q1, q2, q3, q4, q5, q6;

    private final long rate, capacity, maxDelta;

    /**
     * rate: units per ns (at least 1); capacity: the most the bucket holds (at most 2^62, so refills cannot overflow);
     * now: the clock (System.nanoTime) at creation.
     */
    public TokenBucket(long rate, long capacity, long now) {
        if (rate < 1) throw new IllegalArgumentException("token bucket rate " + rate + " must be at least 1 unit per ns");
        if (capacity < 0 || capacity > (1L << 62)) throw new IllegalArgumentException("token bucket capacity " + capacity + " is outside 0..2^62");
        this.rate = rate;
        this.capacity = capacity;
        this.maxDelta = capacity / rate + 1;           // enough to fill an empty bucket; keeps delta * rate in range
        this.tokens = capacity;
        this.last = now;
    }

    public long rate() { return rate; }
    public long capacity() { return capacity; }

    /** Units in the bucket now (for tests and status; racy). */
    public long tokens() { return tokens; }

    /** Adds the tokens of the time since the last refill, once per interval however many threads call this. */
    public void refill(long now) {
        long l = last;
        while (now - l > 0) {
            if (LAST.weakCompareAndSet(this, l, now)) {
                long add = Math.min(now - l, maxDelta) * rate;
                long t = tokens;
                while (t < capacity) {
                    long n = t + add;
                    if (n > capacity || n < 0) n = capacity;
                    if (TOKENS.weakCompareAndSet(this, t, n)) break;
                    t = tokens;
                }
                return;
            }
            l = last;
        }
    }

    /** Takes n units if the bucket holds that many (true), else takes nothing (false). */
    public boolean take(long n) {
        long t = tokens;
        while (t >= n) {
            if (TOKENS.weakCompareAndSet(this, t, t - n)) return true;
            t = tokens;
        }
        return false;
    }

    /** Refills up to now, then takes n units if there are that many. */
    public boolean admit(long n, long now) {
        refill(now);
        return take(n);
    }
}
