package io.xvio.datapath.tunnel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One underlay bridge's neighbours (OVS's tnl-neigh-cache, with Linux's neighbour states): the MAC address of each
 * next hop, learnt from ARP and ND replies, aged and refreshed.
 * <p>Threads: PMD threads call only {@link #lookup} (a lock-free read of an immutable snapshot published through a
 * volatile field), {@link #miss} and {@link #snooped} (lock-free offers to a bounded queue, {@link NeighborEvents}).
 * The control thread calls {@link #tick} every few hundred ms: it applies the queued events, ages entries, sends
 * requests through a {@link Requester} and publishes a new snapshot when something changed. Entries are kept in a
 * plain map touched only by the control thread (and by tests through the same synchronized methods).
 * <p>States: INCOMPLETE (asked, no answer yet: retried every {@code retry} up to {@code tries} times, then FAILED and
 * held for {@code failHold} so that misses do not become a request storm); REACHABLE (answered within
 * {@code reachable}); STALE (still used, being asked again: after {@code tries} unanswered requests the entry is
 * removed and the next miss starts over). Every change of a MAC address bumps {@link #generation}, which tells the
 * datapath's revalidator that tnl_push headers built from the old one are wrong.
 * <p>PERMANENT entries are set by hand ({@link #setStatic}, {@code xvio tnl neigh set}): never aged, never asked
 * for, never changed by what ARP or ND says; only {@link #flush} (or another {@code set}) removes or changes them.
 * Their {@link Entry#type} is STATIC, every other entry's DYNAMIC.
 */
public final class NeighborCache {
    public enum State { INCOMPLETE, REACHABLE, STALE, FAILED, PERMANENT }

    public record Timers(long reachableNanos, long retryNanos, int tries, long failHoldNanos, int maxEntries) {
        /** 5 minutes reachable (then refreshed), 1 s between requests, 3 tries, failures held 5 s, 1024 entries. */
        public static final Timers DEFAULT = new Timers(300_000_000_000L, 1_000_000_000L, 3, 5_000_000_000L, 1024);
    }

    public record Entry(IpAddr ip, long mac, State state, long since, int tries, long lastRequest) {
        /** STATIC (set by hand) or DYNAMIC (learnt from ARP/ND). */
        public String type() { return state == State.PERMANENT ? "STATIC" : "DYNAMIC"; }
    }

    /** Sends a request for target (an ARP request or a neighbour solicitation) out of the bridge's uplink. */
    public interface Requester { void request(IpAddr target); }

    private static final class Snapshot {
        final long[] hi, lo, mac;
        final int mask;
        Snapshot(Map<IpAddr, Entry> m) {
            int n = Integer.highestOneBit(Math.max(4, m.size() * 2 + 1) * 2 - 1);
            hi = new long[n];
            lo = new long[n];
            mac = new long[n];
            java.util.Arrays.fill(mac, -1);
            mask = n - 1;
            for (Entry e : m.values()) {
                if (e.mac() < 0) continue;
                int i = slot(e.ip().hi(), e.ip().lo(), mask);
                while (mac[i] >= 0) i = (i + 1) & mask;
                hi[i] = e.ip().hi();
                lo[i] = e.ip().lo();
                mac[i] = e.mac();
            }
        }
    }

    private final Timers timers;
    private final NeighborEvents events = new NeighborEvents(256);
    private final Map<IpAddr, Entry> entries = new HashMap<>();
    private volatile Snapshot snapshot = new Snapshot(Map.of());
    private volatile long generation;
    private long failures, full;

    public NeighborCache(Timers timers) { this.timers = timers; }
    public NeighborCache() { this(Timers.DEFAULT); }

    static int slot(long hi, long lo, int mask) {
        long h = (hi * 0x9e3779b97f4a7c15L) ^ (lo * 0xc2b2ae3d27d4eb4fL);
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** The MAC address of (hi, lo), or -1 if unresolved. Any thread, lock-free, no allocation. */
    public long lookup(long hi, long lo) {
        Snapshot s = snapshot;
        for (int i = slot(hi, lo, s.mask); s.mac[i] >= 0; i = (i + 1) & s.mask)
            if (s.hi[i] == hi && s.lo[i] == lo) return s.mac[i];
        return -1;
    }

    public long lookup(IpAddr a) { return lookup(a.hi(), a.lo()); }

    /** Any thread: a lookup of (hi, lo) failed; the control thread will ask for it. Lock-free, no allocation. */
    public boolean miss(long hi, long lo) { return events.offer(hi, lo, -1); }

    /** Any thread: an ARP/ND packet said (hi, lo) is at mac. Lock-free, no allocation. */
    public boolean snooped(long hi, long lo, long mac) { return events.offer(hi, lo, mac & 0xffff_ffff_ffffL); }

    /** Changes whenever a MAC address of an entry changes or an entry goes: headers built before are stale. */
    public long generation() { return generation; }

    /** Control thread: applies queued events, ages entries, sends due requests, publishes the result. */
    public synchronized void tick(long now, Requester requester) {
        boolean[] changed = {false};
        events.drain((h, l, m) -> {
            IpAddr ip = new IpAddr(h, l);
            if (m >= 0) changed[0] |= learn(ip, m, now);
            else if (!entries.containsKey(ip)) {
                if (entries.size() >= timers.maxEntries()) { full++; return; }
                entries.put(ip, new Entry(ip, -1, State.INCOMPLETE, now, 1, now));
                requester.request(ip);
            }
        });
        for (Entry e : new ArrayList<>(entries.values())) {
            switch (e.state()) {
                case REACHABLE -> {
                    if (now - e.since() >= timers.reachableNanos()) {
                        entries.put(e.ip(), new Entry(e.ip(), e.mac(), State.STALE, e.since(), 1, now));
                        requester.request(e.ip());
                    }
                }
                case INCOMPLETE, STALE -> {
                    if (now - e.lastRequest() < timers.retryNanos()) continue;
                    if (e.tries() >= timers.tries()) {
                        failures++;
                        if (e.state() == State.STALE) { entries.remove(e.ip()); changed[0] = true; }
                        else entries.put(e.ip(), new Entry(e.ip(), -1, State.FAILED, now, e.tries(), e.lastRequest()));
                    } else {
                        entries.put(e.ip(), new Entry(e.ip(), e.mac(), e.state(), e.since(), e.tries() + 1, now));
                        requester.request(e.ip());
                    }
                }
                case FAILED -> { if (now - e.since() >= timers.failHoldNanos()) entries.remove(e.ip()); }
                case PERMANENT -> { }                        // set by hand: never aged, never asked for
            }
        }
        if (changed[0]) publish();
    }

    /** Control thread: ip is at mac (a reply, or a request addressed to us). Returns true if a lookup now answers differently. */
    public synchronized boolean learn(IpAddr ip, long mac, long now) {
        Entry old = entries.get(ip);
        if (old != null && old.state() == State.PERMANENT) return false;      // what the operator set wins over ARP/ND
        if (old == null && entries.size() >= timers.maxEntries()) { full++; return false; }
        entries.put(ip, new Entry(ip, mac, State.REACHABLE, now, 0, old == null ? now : old.lastRequest()));
        boolean changed = old == null || old.mac() != mac;
        if (changed) publish();
        return changed;
    }

    /**
     * Control thread: ip is at mac until flushed (ovs-appctl tnl/neigh/set): a PERMANENT entry, replacing whatever
     * was learnt. Returns true if a lookup now answers differently. IllegalStateException if the cache is full.
     */
    public synchronized boolean setStatic(IpAddr ip, long mac, long now) {
        Entry old = entries.get(ip);
        if (old == null && entries.size() >= timers.maxEntries())
            throw new IllegalStateException("the neighbour cache is full (" + timers.maxEntries() + " entries)");
        entries.put(ip, new Entry(ip, mac & 0xffff_ffff_ffffL, State.PERMANENT, now, 0, now));
        boolean changed = old == null || old.mac() != (mac & 0xffff_ffff_ffffL);
        if (changed) publish();
        return changed;
    }

    /** Control thread: forgets every entry, static ones too, as ovs-appctl tnl/neigh/flush. */
    public synchronized void flush() {
        entries.clear();
        publish();
    }

    private void publish() {
        snapshot = new Snapshot(entries);
        generation++;
    }

    public synchronized List<Entry> entries() {
        List<Entry> l = new ArrayList<>(entries.values());
        l.sort(Comparator.comparing((Entry e) -> !e.ip().isV4()).thenComparing(e -> e.ip().hi()).thenComparing(e -> e.ip().lo()));
        return l;
    }

    /** Requests that got no answer, and events dropped because the table was full. */
    public synchronized long failures() { return failures; }
    public synchronized long overflows() { return full; }

    /** {@code xvio tnl neigh}: one line a neighbour, as ovs-appctl tnl/neigh/show with the state and type added. */
    public String text(String bridge) {
        StringBuilder b = new StringBuilder(String.format("%-38s  %-17s  %-10s  %-7s  %s%n", "IP", "MAC", "State", "Type", "Bridge"));
        b.append("=".repeat(89)).append('\n');
        for (Entry e : entries())
            b.append(String.format("%-38s  %-17s  %-10s  %-7s  %s%n", e.ip(), e.mac() < 0 ? "(none)" : TunnelHeader.mac(e.mac()),
                    e.state().name().toLowerCase(), e.type(), bridge));
        return b.toString();
    }
}
