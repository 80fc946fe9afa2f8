package io.xvio.datapath.conntrack;

/**
 * The daemon's connection tracker, shared by every bridge and PMD thread (OVS too has one per datapath): created on
 * first use (the first flow with a ct() action), so a switch without stateful flows pays no memory for it. The
 * capacity (connections preallocated, ~192 bytes each) is fixed at creation; limits can change at any time.
 */
public final class Conntrack {
    /** Connections preallocated by default (about 25 MB). */
    public static final int DEFAULT_CAPACITY = 1 << 17;

    private final int capacity, threads;
    private final Timeouts timeouts;
    private final java.util.function.Consumer<ConnTracker> init;
    private volatile ConnTracker tracker;

    /** threads: the distinct thread indexes callers pass to {@link ConnTracker#track}. */
    public Conntrack(int capacity, int threads) { this(capacity, threads, t -> { }); }

    /** init: applied to the tracker when it is made (limits from the configuration). */
    public Conntrack(int capacity, int threads, java.util.function.Consumer<ConnTracker> init) {
        this(capacity, threads, new Timeouts(), init);
    }

    /** timeouts: the tracker's expiry per protocol and state (OVS's defaults: {@code new Timeouts()}). */
    public Conntrack(int capacity, int threads, Timeouts timeouts, java.util.function.Consumer<ConnTracker> init) {
        if (capacity < 1 || capacity > (1 << 27)) throw new IllegalArgumentException("conntrack capacity must be 1.." + (1 << 27) + ", not " + capacity);
        this.capacity = capacity;
        this.threads = threads;
        this.timeouts = timeouts;
        this.init = init;
    }

    /** The tracker, or null if no flow has needed one yet. A volatile read: PMD threads read it once per ct(). */
    public ConnTracker get() { return tracker; }

    /** The tracker, made now if it does not exist yet (control thread). */
    public synchronized ConnTracker ensure() {
        ConnTracker t = tracker;
        if (t == null) {
            t = new ConnTracker(capacity, threads, timeouts, true);
            init.accept(t);
            tracker = t;
        }
        return t;
    }

    public int capacity() { return capacity; }
}
