package io.xvio.control;

import io.xvio.datapath.MacTable;
import io.xvio.datapath.MegaflowStats;
import io.xvio.datapath.PortVlan;
import io.xvio.packet.Ethernet;
import io.xvio.pmd.PmdSet;
import io.xvio.pmd.PmdThread;
import io.xvio.pmd.RxQueue;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.xvio.port.PortCounters.Counter.*;

/**
 * Reads the running daemon into {@link Status} records. It only reads: counters are per PMD thread and summed here
 * (as `stats` always did), so a reader never slows a PMD thread. The bridges' port lists change under add-port and
 * del-port, which hold {@code lock}; readers hold it too while they copy them, so the control socket and a
 * Prometheus scrape (another thread) see whole ports.
 */
final class DaemonStatus {
    /** The drop reasons every port has, in the order `stats` prints them, before the port's own. */
    private static final PortCounters.Counter[] DROPS = {TX_DROP_NO_BUFFER, TX_DROP_DOWN, TX_DROP_TOO_BIG, RX_DROP_NO_MATCH, TX_DROP_GSO,
            RX_DROP_POLICED, TX_DROP_POLICED};
    private static final PortCounters.Counter[] OFFLOADS = {TX_GSO_WHOLE, TX_GSO_SEGMENTED, TX_GSO_SEGMENTS, TX_CSUM_COMPLETED, RX_GSO_WHOLE};

    private final Map<String, Bridge> bridges;
    private final PmdSet pmds;
    private final String controlPath;
    private final long startedNanos;
    private final long startedEpochSeconds;
    private final Object lock;

    DaemonStatus(Map<String, Bridge> bridges, PmdSet pmds, String controlPath, long startedNanos, Object lock) {
        this.bridges = bridges;
        this.pmds = pmds;
        this.controlPath = controlPath;
        this.startedNanos = startedNanos;
        this.startedEpochSeconds = System.currentTimeMillis() / 1000 - (System.nanoTime() - startedNanos) / 1_000_000_000L;
        this.lock = lock;
    }

    Status.Show show() {
        synchronized (lock) {
            List<Status.ShowBridge> bs = new ArrayList<>();
            for (Bridge br : bridges.values()) {
                List<Status.ShowPort> ps = new ArrayList<>();
                for (int pi = 0; pi < br.ports.size(); pi++) {
                    Port p = br.ports.get(pi);
                    PortVlan v = br.vlans.get(pi);
                    List<Integer> trunks = v.access() || v.trunks() == null ? null : v.trunks().stream().boxed().toList();
                    ps.add(new Status.ShowPort(p.ofport(), p.name(), p.type(), v.access() ? "access" : "trunk",
                            v.access() ? v.tag() : null, trunks, p.status(), p.details()));
                }
                bs.add(new Status.ShowBridge(br.name, br.datapath.flows().size(), ps));
            }
            return new Status.Show(ProcessHandle.current().pid(), (System.nanoTime() - startedNanos) / 1_000_000_000L, controlPath, bs);
        }
    }

    Status.Stats stats() {
        synchronized (lock) {
            List<Status.BridgeStats> bs = new ArrayList<>();
            for (Bridge br : bridges.values()) {
                List<Status.PortStats> ps = new ArrayList<>();
                for (Port p : br.ports) ps.add(portStats(p));
                bs.add(new Status.BridgeStats(br.name, ps, br.datapath.drops().nonZero()));
            }
            return new Status.Stats(bs);
        }
    }

    static Status.PortStats portStats(Port p) {
        PortCounters c = p.counters();
        Map<String, Long> drops = new LinkedHashMap<>();
        long total = 0;
        for (PortCounters.Counter k : DROPS) {
            long v = c.get(k);
            drops.put(k.label, v);
            total += v;
        }
        Map<String, Long> offloads = new LinkedHashMap<>();
        for (PortCounters.Counter k : OFFLOADS) offloads.put(k.label, c.get(k));
        for (var e : p.extraCounters().entrySet()) {
            drops.merge(e.getKey(), e.getValue(), Long::sum);
            if (!e.getKey().equals(io.xvio.port.TunnelPort.TOO_BIG_ANSWERS)) total += e.getValue();   // answers, not drops
        }
        return new Status.PortStats(p.ofport(), p.name(), p.type(), p.status(), c.get(RX_PACKETS), c.get(RX_BYTES),
                c.get(TX_PACKETS), c.get(TX_BYTES), c.get(RX_GSO_FRAMES), total, drops, offloads, c.get(TX_RETRIES));
    }

    /** sinceClear: the counters `pmd-stats` shows (since pmd-stats-clear); else since each thread started. */
    Status.PmdStats pmdStats(boolean sinceClear) {
        synchronized (lock) {
            List<Status.Pmd> out = new ArrayList<>();
            for (PmdThread t : pmds.threads()) {
                long[] st = sinceClear ? t.stats()
                        : new long[] {t.packets(), t.bursts(), t.busyLoops(), t.idleLoops(), t.busyNanos(), 0};
                List<Status.PmdCache> caches = new ArrayList<>();
                for (Bridge br : bridges.values()) {
                    MegaflowStats c = br.datapath.cacheStats(t.id()), r = br.datapath.recirculationStats(t.id());
                    caches.add(new Status.PmdCache(br.name, c.hits(), c.emcHits(), c.misses(), c.uncacheable(), c.masks(),
                            c.entries(), c.revalidations(), c.evicted(), c.kept(), c.flushes(), r.hits(), r.misses(), r.entries(),
                            br.datapath.drops().nonZero(t.id())));
                }
                List<Status.RxQueueInfo> qs = new ArrayList<>();
                for (RxQueue q : t.queues()) qs.add(new Status.RxQueueInfo(q.owner(), q.port().name(), q.queue(), q.load() == null ? 0 : q.load().packets()));
                out.add(new Status.Pmd(t.id(), t.cpu() < 0 ? null : t.cpu(), st[0], st[1], st[4], st[5], st[2], st[3], caches, qs));
            }
            return new Status.PmdStats(out);
        }
    }

    Status.Fdb fdb(Bridge br) {
        synchronized (lock) {
            List<Status.FdbEntry> es = new ArrayList<>();
            for (MacTable.Entry e : br.datapath.macs().entries(System.nanoTime())) {
                Port p = e.port() < br.ports.size() ? br.ports.get(e.port()) : null;
                es.add(new Status.FdbEntry(p == null ? null : p.ofport(), p == null ? null : p.name(), e.vlan(),
                        Ethernet.format(e.mac()), e.ageSeconds()));
            }
            return new Status.Fdb(br.name, es);
        }
    }

    /** only: a port name or ofport, or null for all; a name that matches no port is an error. */
    Status.PortCounts portCounts(Bridge br, String only) {
        synchronized (lock) {
            List<Status.PortCount> ps = new ArrayList<>();
            for (Port p : br.ports) {
                if (only != null && !only.equals(p.name()) && !only.equals(Integer.toString(p.ofport()))) continue;
                PortCounters c = p.counters();
                Map<String, Long> extra = p.extraCounters();
                long rxDrop = sumStartingWith(extra, "rx") + c.get(RX_DROP_POLICED);
                long txDrop = c.get(TX_DROP_NO_BUFFER) + c.get(TX_DROP_DOWN) + c.get(TX_DROP_TOO_BIG) + sumStartingWith(extra, "tx")
                        + c.get(TX_DROP_POLICED);
                ps.add(new Status.PortCount(p.ofport(), p.name(), c.get(RX_PACKETS), c.get(RX_BYTES), rxDrop, 0,
                        c.get(TX_PACKETS), c.get(TX_BYTES), txDrop, 0));
            }
            if (only != null && ps.isEmpty()) throw new ControlException("bridge " + br.name + " has no port " + only);
            return new Status.PortCounts(br.name, ps);
        }
    }

    private static long sumStartingWith(Map<String, Long> m, String prefix) {
        long s = 0;
        for (var e : m.entrySet()) if (e.getKey().startsWith(prefix)) s += e.getValue();
        return s;
    }

    /** Every bridge's meters with their counters and the number of flows that name each (meter-stats' numbers). */
    List<Status.MeterStat> meters() {
        synchronized (lock) {
            List<Status.MeterStat> out = new ArrayList<>();
            for (Bridge br : bridges.values()) {
                List<io.xvio.datapath.meter.LiveMeter> ms = br.datapath.meters().list();
                if (ms.isEmpty()) continue;
                Map<Long, Integer> named = io.xvio.datapath.ActionOutputs.meterFlowCounts(br.flows());
                for (io.xvio.datapath.meter.LiveMeter m : ms) {
                    int bands = m.config().bands().size();
                    List<Long> p = new ArrayList<>(bands), b = new ArrayList<>(bands);
                    for (int i = 0; i < bands; i++) {
                        p.add(m.bandPackets(i));
                        b.add(m.bandBytes(i));
                    }
                    out.add(new Status.MeterStat(br.name, m.id(), named.getOrDefault(m.id(), 0), m.packetsIn(), m.bytesIn(), p, b));
                }
            }
            return out;
        }
    }

    Status.Metrics metrics() {
        synchronized (lock) {
            List<Status.BridgeSize> sizes = new ArrayList<>();
            for (Bridge br : bridges.values())
                sizes.add(new Status.BridgeSize(br.name, br.flows().size(), br.datapath.macs().entries(System.nanoTime()).size()));
            return new Status.Metrics(startedEpochSeconds, stats(), pmdStats(false).pmds(), sizes);
        }
    }
}
