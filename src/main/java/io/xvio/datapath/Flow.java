package io.xvio.datapath;

import java.util.List;

/**
 * One OpenFlow flow: where it lives (table, priority), what it matches, what it does, its cookie and
 * timeouts, and its counters. Flows are immutable but for counters and the last-hit time, which the
 * poll-mode threads update (racy reads are fine for dump-flows).
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
    public final String text;                    // as the user wrote it
    /** Order of creation: among overlapping flows of equal priority the older one wins (kept by mod-flows). */
    public final long seq;
    private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong();
    final long createdNanos;
    volatile long lastHitNanos;
    final long[] packets = new long[65 * 8];     // one row per PMD thread, 64 bytes apart
    final long[] bytes = new long[65 * 8];

    public Flow(int table, int priority, long cookie, Match match, List<Action> actions, int idleTimeout,
                int hardTimeout, String text) {
        this(table, priority, cookie, match, actions, idleTimeout, hardTimeout, text, SEQ.incrementAndGet());
    }

    private Flow(int table, int priority, long cookie, Match match, List<Action> actions, int idleTimeout,
                 int hardTimeout, String text, long seq) {
        this.seq = seq;
        this.table = table;
        this.priority = priority;
        this.cookie = cookie;
        this.match = match;
        this.actions = List.copyOf(actions);
        this.idleTimeout = idleTimeout;
        this.hardTimeout = hardTimeout;
        this.text = text;
        this.createdNanos = System.nanoTime();
        this.lastHitNanos = createdNanos;
    }

    /** Counts packets hits totalling bytes by PMD thread t (single writer per row). */
    public void hit(int t, int hits, long totalBytes, long now) {
        int i = (t + 1) * 8;
        packets[i] += hits;
        bytes[i] += totalBytes;
        if (now - lastHitNanos > 100_000_000L) lastHitNanos = now;   // keep the shared line mostly read-only
    }

    /** Counts a hit by PMD thread t (single writer per row). */
    public void hit(int t, int len, long now) { hit(t, 1, len, now); }

    public long packetCount() {
        long s = 0;
        for (int i = 0; i < packets.length; i += 8) s += packets[i];
        return s;
    }

    public long byteCount() {
        long s = 0;
        for (int i = 0; i < bytes.length; i += 8) s += bytes[i];
        return s;
    }

    public long createdNanos() { return createdNanos; }
    public long lastHitNanos() { return lastHitNanos; }

    /** A copy with new actions (mod-flows keeps counters in OVS; here they restart: documented). */
    public Flow withActions(List<Action> a, String newText) {
        return new Flow(table, priority, cookie, match, a, idleTimeout, hardTimeout, newText, seq);
    }

    public boolean expired(long now) {
        if (hardTimeout > 0 && now - createdNanos >= hardTimeout * 1_000_000_000L) return true;
        return idleTimeout > 0 && now - lastHitNanos >= idleTimeout * 1_000_000_000L;
    }

    @Override
    public String toString() { return FlowFormat.format(this, System.nanoTime(), false); }
}
