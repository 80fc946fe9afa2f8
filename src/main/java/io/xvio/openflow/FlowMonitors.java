package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.Match;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The flow monitors of one bridge's connections (OVS's ofmonitor in connmgr.c). Changes are found by comparing the
 * flow table with the last one seen: xvio's flows are immutable objects (a modify makes a new one), so what was added,
 * deleted or modified is what differs by identity, paired by (table, priority, match). Each OpenFlow request that may
 * change the tables is followed by a {@link #sync} under the same command lock, so its changes are attributed to its
 * connection and xid (abbreviated updates); the bridge's OpenFlow thread calls {@link #poll} every 100 ms, which
 * reports changes from anywhere else (the CLI, YAML reloads, idle and hard timeouts).
 *
 * <p>Once a connection has a monitor, everything it sends goes through its own queue and writer thread, so a change
 * never waits for a slow monitor: past {@link #PAUSE_BYTES} of unsent updates the connection gets
 * FLOW_MONITOR_PAUSED, then only deletions of flows older than the pause; once the queue is empty, the flows added or
 * modified meanwhile as ADDED/MODIFIED and FLOW_MONITOR_RESUMED, as OVS does.
 */
final class FlowMonitors {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");
    static final long PAUSE_BYTES = 128 * 1024;
    /** Unsent replies beyond which a monitoring connection stops reading requests until its peer reads. */
    private static final long REPLY_BACKLOG = 1 << 20;

    private final OfSwitch sw;
    private final Map<OfConnection, Conn> conns = new ConcurrentHashMap<>();
    private volatile boolean active;
    /** The table as last seen (valid while active). */
    private List<Flow> seen = List.of();

    FlowMonitors(OfSwitch sw) { this.sw = sw; }

    private record Key(int table, int priority, Match match) {
        static Key of(Flow f) { return new Key(f.table, f.priority, f.match); }
    }

    /** One connection's monitors, outgoing queue and pause state. */
    private final class Conn {
        final OfConnection c;
        final Map<Long, FlowMonitor> monitors = new LinkedHashMap<>();
        final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        final Set<byte[]> updates = Collections.newSetFromMap(new IdentityHashMap<>());
        final AtomicLong updateBytes = new AtomicLong(), bytes = new AtomicLong();
        final Thread writer;
        volatile boolean paused;
        long pausedSeq;
        Set<Flow> atPause;

        Conn(OfConnection c) {
            this.c = c;
            writer = Thread.ofVirtual().name("openflow-monitor-writer").start(this::write);
        }

        void enqueue(byte[] m, boolean update) {
            if (update) {
                synchronized (updates) { updates.add(m); }
                updateBytes.addAndGet(m.length);
            }
            bytes.addAndGet(m.length);
            queue.add(m);
        }

        private void write() {
            try {
                while (true) {
                    byte[] m = queue.take();
                    if (!c.sendQueued(m)) return;
                    bytes.addAndGet(-m.length);
                    boolean update;
                    synchronized (updates) { update = updates.remove(m); }
                    if (update) updateBytes.addAndGet(-m.length);
                    if (paused && updateBytes.get() == 0) maybeResume(this);
                }
            } catch (InterruptedException e) {
                // the connection closed
            }
        }
    }

    boolean active() { return active; }

    /** Whether c's messages go through its monitor queue ({@link #send}) rather than straight to its socket. */
    boolean queues(OfConnection c) { return conns.containsKey(c); }

    /** Sends c's replies after the updates queued before them; waits while c's peer leaves too much unread. */
    void send(OfConnection c, List<byte[]> replies) throws InterruptedException {
        Conn k = conns.get(c);
        for (byte[] r : replies) k.enqueue(r, false);
        while (k.bytes.get() - k.updateBytes.get() > REPLY_BACKLOG && k.writer.isAlive()) Thread.sleep(1);
    }

    /** c closed: its monitors go. */
    void remove(OfConnection c) {
        Conn k = conns.remove(c);
        if (k == null) return;
        k.writer.interrupt();
        synchronized (this) { active = conns.values().stream().anyMatch(x -> !x.monitors.isEmpty()); }
    }

    /**
     * A flow monitor request of c (msg, xid): the monitors it adds, modifies or deletes (all or none, with the error
     * OVS sends), and the reply with the flows the INITIAL ones see now.
     */
    List<byte[]> request(OfConnection c, byte[] msg, int xid) {
        int version = c.version();
        List<FlowMonitor> reqs = FlowMonitor.decodeAll(msg, version);
        return sw.read(() -> {
            synchronized (this) {
                List<Flow> now = sw.flows();
                if (active) report(now, null, null, 0, -1);
                else take(now);
                Conn k = conns.get(c);
                Map<Long, FlowMonitor> next = new LinkedHashMap<>(k == null ? Map.of() : k.monitors);
                List<FlowMonitor> added = new ArrayList<>();
                for (FlowMonitor m : reqs) {
                    boolean exists = next.containsKey(m.id());
                    switch (m.command()) {
                        case FlowMonitor.CMD_ADD -> {
                            if (exists) throw OfError.MONITOR_EXISTS.fail("flow monitor " + m.id() + " exists");
                            next.put(m.id(), m);
                            added.add(m);
                        }
                        case FlowMonitor.CMD_MODIFY -> {
                            if (!exists) throw OfError.UNKNOWN_MONITOR.fail("flow monitor " + m.id() + " does not exist");
                            next.put(m.id(), m);
                            added.add(m);
                        }
                        default -> {
                            if (!exists) throw OfError.UNKNOWN_MONITOR.fail("flow monitor " + m.id() + " does not exist");
                            next.remove(m.id());
                        }
                    }
                }
                if (k == null) conns.put(c, k = new Conn(c));
                k.monitors.clear();
                k.monitors.putAll(next);
                active = true;
                LOG.fine(c.peer() + ": flow monitors " + k.monitors.keySet());
                FlowUpdates u = new FlowUpdates(version, xid);
                for (Flow f : OfStats.selected(now, new OfStats.Selection(io.xvio.datapath.FlowSpec.ALL_TABLES, -1, 0, 0, new Match()))) {
                    int flags = 0;
                    for (FlowMonitor m : added) if ((m.flags() & FlowMonitor.INITIAL) != 0 && m.selects(f)) flags |= m.flags();
                    if (flags != 0) u.full(f, FlowUpdates.INITIAL, 0, (flags & FlowMonitor.INSTRUCTIONS) != 0);
                }
                return u.finish();
            }
        });
    }

    /** NXT/ONFT_FLOW_MONITOR_CANCEL of monitor id. */
    void cancel(OfConnection c, long id) {
        synchronized (this) {
            Conn k = conns.get(c);
            if (k == null || k.monitors.remove(id) == null) throw OfError.UNKNOWN_MONITOR.fail("flow monitor " + id + " does not exist");
            active = conns.values().stream().anyMatch(x -> !x.monitors.isEmpty());
        }
    }

    /**
     * After a request of origin (xid) that may have changed the tables, inside the same {@link OfSwitch#change}:
     * reports what changed. reason: OFPRR_* of deletions.
     */
    void sync(OfConnection origin, int xid, int reason) { sync(origin, null, xid, reason); }

    /**
     * As {@link #sync(OfConnection, int, int)} after a batch of origin's flow adds: xids gives each added flow's
     * request xid (one abbreviated update per request, as OVS sends one per flow_mod); other changes get xid.
     */
    void sync(OfConnection origin, Map<Flow, Integer> xids, int xid, int reason) {
        if (!active) return;
        List<Flow> now = sw.flows();
        synchronized (this) { if (active) report(now, origin, xids, xid, reason); }
    }

    /** Reports changes made outside OpenFlow requests (every 100 ms from the bridge's OpenFlow thread). */
    void poll() {
        if (!active) return;
        sw.read(() -> {
            sync(null, 0, -1);
            return null;
        });
    }

    private void take(List<Flow> now) { seen = now; }

    /**
     * Diffs now against the table seen last and queues each connection's updates. reason -1: from the timeouts or a
     * delete. The bridge keeps its flows in a stable order (adds go to the end, a modify replaces in place), so the
     * common prefix and suffix are skipped by identity and only the window between them is hashed: a flow_mod costs
     * a pass of pointer comparisons, not a map of the whole table.
     */
    private void report(List<Flow> now, OfConnection origin, Map<Flow, Integer> xids, int xid, int reason) {
        int n = now.size(), o = seen.size(), pre = 0, suf = 0;
        while (pre < n && pre < o && now.get(pre) == seen.get(pre)) pre++;
        if (pre == n && n == o) return;
        while (suf < n - pre && suf < o - pre && now.get(n - 1 - suf) == seen.get(o - 1 - suf)) suf++;
        List<Flow> newWindow = now.subList(pre, n - suf), oldWindow = seen.subList(pre, o - suf);
        Set<Flow> oldSet = Collections.newSetFromMap(new IdentityHashMap<>()), newSet = Collections.newSetFromMap(new IdentityHashMap<>());
        oldSet.addAll(oldWindow);
        newSet.addAll(newWindow);
        Map<Key, Flow> gone = new LinkedHashMap<>();
        for (Flow f : oldWindow) if (!newSet.contains(f)) gone.put(Key.of(f), f);
        List<Flow[]> events = new ArrayList<>();          // {new, old}: ADDED {f, null}, MODIFIED {f, old}, REMOVED {null, old}
        for (Flow f : newWindow) {
            if (oldSet.contains(f)) continue;              // moved within the window, not changed
            Flow old = gone.remove(Key.of(f));
            if (old == null) events.add(new Flow[] {f, null});
            else if (!same(old, f)) events.add(new Flow[] {f, old});
        }
        for (Flow old : gone.values()) events.add(new Flow[] {null, old});
        seen = now;
        if (events.isEmpty()) return;
        long t = System.nanoTime();
        for (Conn k : conns.values()) {
            if (k.monitors.isEmpty() || k.c.version() < 0) continue;
            FlowUpdates u = new FlowUpdates(k.c.version(), 0);
            Set<Integer> abbreviated = new java.util.HashSet<>();
            for (Flow[] e : events) {
                Flow f = e[0] != null ? e[0] : e[1];
                int event = e[0] == null ? FlowUpdates.REMOVED : e[1] == null ? FlowUpdates.ADDED : FlowUpdates.MODIFIED;
                if (k.paused && (event != FlowUpdates.REMOVED || f.seq > k.pausedSeq)) continue;
                int want = event == FlowUpdates.ADDED ? FlowMonitor.ADD : event == FlowUpdates.REMOVED ? FlowMonitor.REMOVED : FlowMonitor.MODIFY;
                int flags = 0;
                for (FlowMonitor m : k.monitors.values())
                    if ((m.flags() & want) != 0 && (m.selects(f) || (e[1] != null && m.selects(e[1])))) flags |= m.flags();
                if (flags == 0) continue;
                if ((flags & FlowMonitor.ONLY_OWN) != 0 || k.c != origin || k.paused) {
                    int why = event != FlowUpdates.REMOVED ? 0 : reason >= 0 ? reason : removedReason(f, t);
                    u.full(f, event, why, (flags & FlowMonitor.INSTRUCTIONS) != 0);
                } else {
                    Integer x = xids == null ? null : xids.get(f);
                    if (abbreviated.add(x == null ? xid : x)) u.abbrev(x == null ? xid : x);
                }
            }
            if (u.isEmpty()) continue;
            for (byte[] m : u.finish()) k.enqueue(m, true);
            if (!k.paused && k.updateBytes.get() > PAUSE_BYTES) pause(k, now);
        }
    }

    /** Whether a replacement changes nothing a monitor reports (a bundle commit re-creates flows it does not touch). */
    private static boolean same(Flow a, Flow b) {
        return a.cookie == b.cookie && a.idleTimeout == b.idleTimeout && a.hardTimeout == b.hardTimeout && a.actions.equals(b.actions);
    }

    static int removedReason(Flow f, long now) {
        if (!f.expired(now)) return AsyncConfig.RR_DELETE;
        return f.hardTimeout > 0 && now - f.createdNanos() >= f.hardTimeout * 1_000_000_000L ? AsyncConfig.RR_HARD : AsyncConfig.RR_IDLE;
    }

    private void pause(Conn k, List<Flow> now) {
        k.paused = true;
        long max = 0;
        for (Flow f : now) max = Math.max(max, f.seq);
        k.pausedSeq = max;
        k.atPause = Collections.newSetFromMap(new IdentityHashMap<>());
        k.atPause.addAll(now);
        LOG.info(k.c.peer() + ": " + k.updateBytes.get() + " bytes of flow monitor updates unsent: monitoring paused");
        k.enqueue(FlowUpdates.pause(k.c.version(), true), true);
    }

    /** k's queue emptied: if paused, the flows added or modified since, then RESUMED (OVS's ofmonitor_resume). */
    private void maybeResume(Conn k) {
        sw.read(() -> {
            synchronized (this) {
                if (!k.paused || conns.get(k.c) != k) return null;
                List<Flow> now = sw.flows();
                report(now, null, null, 0, -1);
                FlowUpdates u = new FlowUpdates(k.c.version(), 0);
                for (Flow f : now) {
                    if (k.atPause.contains(f)) continue;
                    boolean added = f.seq > k.pausedSeq;
                    int want = added ? FlowMonitor.ADD | FlowMonitor.MODIFY : FlowMonitor.MODIFY;
                    int flags = 0;
                    for (FlowMonitor m : k.monitors.values()) if ((m.flags() & want) != 0 && m.selects(f)) flags |= m.flags();
                    if (flags == 0) continue;
                    int event = added && (flags & FlowMonitor.ADD) != 0 ? FlowUpdates.ADDED : FlowUpdates.MODIFIED;
                    u.full(f, event, 0, (flags & FlowMonitor.INSTRUCTIONS) != 0);
                }
                k.paused = false;
                k.atPause = null;
                if (!u.isEmpty()) for (byte[] m : u.finish()) k.enqueue(m, false);
                k.enqueue(FlowUpdates.pause(k.c.version(), false), false);
                LOG.info(k.c.peer() + ": flow monitor updates sent: monitoring resumed");
                return null;
            }
        });
    }
}
