package io.xvio.datapath;

import io.xvio.datapath.action.*;

import java.util.List;

/**
 * One OpenFlow flow: where it lives (table, priority), what it matches, what it does, its cookie and
 * timeouts, and its counters. Flows are immutable but for counters and the last-hit time, which the
 * poll-mode threads update (racy reads are fine for dump-flows). mod-flows replaces a flow by a
 * {@link #modified} copy that shares its counters, so they count on across the change.
 */
public final class Flow {
    public static final int DEFAULT_PRIORITY = 32768;
    public static final int TABLES = 255;

    public final int table;
    public final int priority;
    public final long cookie;
    public final Match match;
    public final List<Action> actions;
    public final int idleTimeout, hardTimeout;   // seconds, 0 = none
    /** As the user wrote it; null until {@link #text()} first formats it (a flow from OpenFlow has no text of its own). */
    private volatile String text;
    /** This flow's conjunction(ID,K/N) actions, or null: a flow that has them is a clause of conjunctive matches. */
    final Conjunction[] conjunctions;
    /** Order of creation: among overlapping flows of equal priority the older one wins (kept by mod-flows). */
    public final long seq;
    private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong();
    final long createdNanos;
    volatile long lastHitNanos;
    /**
     * Not in the bridge's published tables any more (set by {@link BridgeDatapath#install} on the control thread): a
     * cached learning whose flow this was learns it again ({@link LearnRef}).
     */
    volatile boolean removed;
    /** Scratch for {@link BridgeDatapath}'s table diff (written under its DIFF lock only). */
    long diffMark;
    /** When a learn action last found this flow again (OVS's rule->modified for learned flows): the hard timeout counts from it. */
    volatile long refreshedNanos;
    /**
     * Counters: per thread (index t + 2) a row {packets, bytes, padding to 64 bytes}, allocated by that thread at
     * its first hit: a row is an object of its own, so no two threads write one cache line (a flat array padded for
     * 66 threads cost 8.4 KB per flow). The array of rows (280 bytes) is made at the flow's first hit, by whichever
     * thread wins the CAS ({@link #rows()}): a table of 100,000 flows few of which are hit does not carry 28 MB of
     * it. Shared by {@link #modified} copies (made there if no hit made it yet).
     */
    private long[][] rows;
    private static final java.lang.invoke.VarHandle ROWS;

    static {
        try {
            ROWS = java.lang.invoke.MethodHandles.lookup().findVarHandle(Flow.class, "rows", long[][].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public Flow(int table, int priority, long cookie, Match match, List<Action> actions, int idleTimeout,
                int hardTimeout, String text) {
        this(table, priority, cookie, match, actions, idleTimeout, hardTimeout, text, SEQ.incrementAndGet(),
                null, System.nanoTime());
        match.shareMask();
    }

    private Flow(int table, int priority, long cookie, Match match, List<Action> actions, int idleTimeout,
                 int hardTimeout, String text, long seq, long[][] rows, long createdNanos) {
        this.seq = seq;
        this.rows = rows;
        this.table = table;
        this.priority = priority;
        this.cookie = cookie;
        this.match = match;
        this.actions = List.copyOf(actions);
        this.conjunctions = conjunctions(this.actions);
        this.idleTimeout = idleTimeout;
        this.hardTimeout = hardTimeout;
        this.text = text;
        this.createdNanos = createdNanos;
        this.lastHitNanos = createdNanos;
        this.refreshedNanos = createdNanos;
    }

    /** The conjunction actions, or null if none (most flows: no stream per flow, a bulk add makes 100,000). */
    private static Conjunction[] conjunctions(List<Action> actions) {
        int n = 0;
        for (Action a : actions) if (a instanceof Conjunction) n++;
        if (n == 0) return null;
        Conjunction[] cj = new Conjunction[n];
        n = 0;
        for (Action a : actions) if (a instanceof Conjunction c) cj[n++] = c;
        return cj;
    }

    /**
     * The flow as text: as the user wrote it, or (a flow that came over OpenFlow) formatted in add-flow's syntax on
     * first use: formatting every flow of a 100,000-flow bundle cost a fifth of its commit, and it is read only by
     * messages and logs.
     */
    public String text() {
        String t = text;
        if (t == null) text = t = FlowFormat.format(this, 0, false);
        return t;
    }

    /** Row 0 takes a trace's hits (thread -2) and is never summed; rows 1.. are thread -1 (no PMD) and the PMD threads. */
    private static long[][] newCounters() { return new long[BridgeDatapath.MAX_THREADS + 2][]; }

    /** The array of rows, made by the first thread that needs it (the others take the one it published). */
    private long[][] rows() {
        long[][] rs = rows;
        if (rs != null) return rs;
        long[][] made = newCounters(), won = (long[][]) ROWS.compareAndExchange(this, (long[][]) null, made);
        return won == null ? made : won;
    }

    /** Counts packets hits totalling bytes by PMD thread t (single writer per row). */
    public void hit(int t, int hits, long totalBytes, long now) {
        long[][] rs = rows;
        if (rs == null) rs = rows();                  // the flow's first hit
        long[] r = rs[t + 2];
        if (r == null) r = rs[t + 2] = new long[8];   // once per thread and flow, in the thread that counts in it
        r[0] += hits;
        r[1] += totalBytes;
        if (now - lastHitNanos > 100_000_000L) lastHitNanos = now;   // keep the shared line mostly read-only
    }

    /** Counts a hit by PMD thread t (single writer per row). */
    public void hit(int t, int len, long now) { hit(t, 1, len, now); }

    public long packetCount() { return sum(0); }

    public long byteCount() { return sum(1); }

    private long sum(int column) {
        long[][] rs = (long[][]) ROWS.getAcquire(this);
        if (rs == null) return 0;
        long s = 0;
        for (int i = 1; i < rs.length; i++) {
            long[] r = rs[i];
            if (r != null) s += r[column];
        }
        return s;
    }

    public long createdNanos() { return createdNanos; }
    public long lastHitNanos() { return lastHitNanos; }

    /**
     * This flow with new actions, as mod-flows makes it (ovs-ofctl(8)): table, priority, match, cookie, timeouts,
     * age and creation order stay, and the hard timeout counts from now; the packet and byte counters are shared
     * with this flow, so hits that still land on this one while poll-mode threads switch over are counted too.
     * resetCounts (mod-flows' reset_counts flag) starts the counters from zero instead.
     */
    public Flow modified(List<Action> a, String newText, boolean resetCounts) { return modified(a, newText, resetCounts, cookie); }

    /** As {@link #modified(List, String, boolean)}, with cookie newCookie (an OpenFlow 1.0 or NXM modify sets it). */
    public Flow modified(List<Action> a, String newText, boolean resetCounts, long newCookie) {
        Flow m = new Flow(table, priority, newCookie, match, a, idleTimeout, hardTimeout, newCookie == cookie ? newText : null, seq,
                resetCounts ? null : rows(), createdNanos);
        m.lastHitNanos = lastHitNanos;
        // the hard timeout starts again (OVS's modified rule is a new rule, 'modified' now); the age goes on
        m.refreshedNanos = System.nanoTime();
        return m;
    }

    /**
     * This new flow, not yet published, is about to replace old (an add with the same table, priority and match): as
     * OVS's rule_insert it counts on in old's packet and byte counters unless resetCounts, and its idle clock goes on
     * from old's last hit either way; its age and hard timeout start now, as a new rule's.
     */
    public void replacing(Flow old, boolean resetCounts) {
        if (!resetCounts) ROWS.setRelease(this, old.rows());
        lastHitNanos = old.lastHitNanos;
    }

    /** Takes over a later last-hit time of the flow this one replaced (hits it took until no thread used it). */
    public void keepLastHitOf(Flow replaced) {
        if (replaced.lastHitNanos - lastHitNanos > 0) lastHitNanos = replaced.lastHitNanos;
    }

    /**
     * A learn action found this flow again (a hit of the cached path that learned it, or the control thread applying
     * the same learning): both timers restart, as OVS's learn refresh sets the rule's modified time. Throttled to a
     * write per 100 ms, as {@link #hit}.
     */
    public void refresh(long now) {
        if (now - lastHitNanos > 100_000_000L) lastHitNanos = now;
        if (now - refreshedNanos > 100_000_000L) refreshedNanos = now;
    }

    public boolean expired(long now) {
        long since = refreshedNanos - createdNanos > 0 ? refreshedNanos : createdNanos;
        if (hardTimeout > 0 && now - since >= hardTimeout * 1_000_000_000L) return true;
        return idleTimeout > 0 && now - lastHitNanos >= idleTimeout * 1_000_000_000L;
    }

    @Override
    public String toString() { return FlowFormat.format(this, System.nanoTime(), false); }
}
