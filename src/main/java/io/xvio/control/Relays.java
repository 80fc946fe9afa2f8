package io.xvio.control;

import io.xvio.pmd.PmdSet;
import io.xvio.pmd.PmdThread;
import io.xvio.pmd.RxQueue;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;
import io.xvio.sys.Netdev;

import java.util.*;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The running relays: each a vhost-user port and a VF-side port polled as two directions (every vhost queue pair's
 * receive queue to the VF, the VF's receive queue to the vhost port), with no bridge and no classifier. The ports
 * are the same classes bridges use, so a relay keeps every vhost-user feature (reconnect, multiqueue, packed rings,
 * migration logging). Counters are the ports' own (per PMD thread, summed here); rates are sampled once a second.
 * Changes run under the daemon's lock.
 */
final class Relays {
    private static final Logger LOG = Logger.getLogger("xvio.relay");
    static final String VM_TO_VF = "vm-to-vf", VF_TO_VM = "vf-to-vm";

    record Relay(RelayConfig config, Port vhost, Port vf) {}

    private final Map<String, Relay> relays = new LinkedHashMap<>();
    private final PmdSet pmds;
    private final Map<String, long[]> rates = new HashMap<>();   // "relay/direction" -> {nanos, packets, bytes, pps, bps}

    Relays(PmdSet pmds) { this.pmds = pmds; }

    synchronized boolean has(String name) { return relays.containsKey(name); }

    synchronized Collection<Relay> all() { return List.copyOf(relays.values()); }

    /**
     * Refuses what would clash with a running relay: its name, vhost path or VF device (for a new bridge port or relay).
     */
    synchronized void checkFree(String name, String path, String device) {
        for (Relay r : relays.values()) {
            if (r.config.name().equals(name)) throw new ControlException("relay " + name + " already exists");
            if (path != null && Config.samePath(path, r.config.vhost().path())) throw new ControlException("path " + path + " is used by relay " + r.config.name());
            if (device != null && device.equals(r.config.vf().device())) throw new ControlException("interface " + device + " is used by relay " + r.config.name());
        }
    }

    /** Creates (not starts) the relay's ports; create makes a port from its config. Throws ControlException. */
    synchronized Relay add(RelayConfig rc, Function<Config.PortConfig, Port> create) {
        checkFree(rc.name(), rc.vhost().path(), rc.vf().device());
        if (Netdev.query(rc.vf().device()) == null)
            throw new ControlException("relay " + rc.name() + ": vf device " + rc.vf().device() + " does not exist");
        for (int cpu : new int[] {rc.vmToVf(), rc.vfToVm()})
            if (cpu >= 0 && pmds.threadOnCpu(cpu) < 0)
                throw new ControlException("relay " + rc.name() + ": CPU " + cpu + " has no PMD thread (pmd-cpus)");
        Port vhost, vf;
        try {
            vhost = create.apply(rc.vhost());
        } catch (RuntimeException e) {
            throw new ControlException("relay " + rc.name() + ": cannot create the vhost port: " + e.getMessage());
        }
        try {
            vf = create.apply(rc.vf());
        } catch (RuntimeException e) {
            vhost.close();
            throw new ControlException("relay " + rc.name() + ": cannot attach to vf " + rc.vf().device() + ": " + e.getMessage());
        }
        Relay r = new Relay(rc, vhost, vf);
        relays.put(rc.name(), r);
        LOG.info("relay " + rc.name() + ": vhost " + rc.vhost().path() + " (" + rc.vhost().mode() + ", " + rc.vhost().queues() + " queue pair(s)) <-> "
                + rc.vf().type() + " " + rc.vf().device() + pins(rc));
        return r;
    }

    private static String pins(RelayConfig rc) {
        return (rc.vmToVf() >= 0 ? ", vm-to-vf on cpu " + rc.vmToVf() : "") + (rc.vfToVm() >= 0 ? ", vf-to-vm on cpu " + rc.vfToVm() : "");
    }

    /** Takes the relay out of the list (the caller stops polling it, then closes its ports). */
    synchronized Relay remove(String name) {
        Relay r = relays.remove(name);
        if (r == null) throw new ControlException("no relay named \"" + name + "\"" + (relays.isEmpty() ? "" : " (relays: " + String.join(", ", relays.keySet()) + ")"));
        rates.keySet().removeIf(k -> k.startsWith(name + "/"));
        return r;
    }

    /** Every relay direction's receive queues, pinned where the config says. */
    synchronized List<RxQueue> rxQueues() {
        List<RxQueue> out = new ArrayList<>();
        for (Relay r : relays.values()) {
            int pinA = r.config.vmToVf() < 0 ? -1 : pmds.threadOnCpu(r.config.vmToVf());
            int pinB = r.config.vfToVm() < 0 ? -1 : pmds.threadOnCpu(r.config.vfToVm());
            for (int q = 0; q < r.vhost.rxQueues(); q++) out.add(RxQueue.relay(r.vhost, q, r.vf, pinA, r.config.name() + "/" + VM_TO_VF));
            for (int q = 0; q < r.vf.rxQueues(); q++) out.add(RxQueue.relay(r.vf, q, r.vhost, pinB, r.config.name() + "/" + VF_TO_VM));
        }
        return out;
    }

    /** Once a second: each direction's packet and byte rate since the last sample. */
    synchronized void sampleRates() {
        long now = System.nanoTime();
        for (Relay r : relays.values()) {
            sample(r.config.name() + "/" + VM_TO_VF, r.vhost, now);
            sample(r.config.name() + "/" + VF_TO_VM, r.vf, now);
        }
    }

    private void sample(String key, Port src, long now) {
        long p = src.counters().get(PortCounters.Counter.RX_PACKETS), b = src.counters().get(PortCounters.Counter.RX_BYTES);
        long[] s = rates.get(key);
        if (s == null) { rates.put(key, new long[] {now, p, b, 0, 0}); return; }
        double secs = (now - s[0]) / 1e9;
        if (secs <= 0) return;
        s[3] = Math.round((p - s[1]) / secs);
        s[4] = Math.round((b - s[2]) / secs);
        s[0] = now; s[1] = p; s[2] = b;
    }

    synchronized RelayView.Relays view(String only) {
        if (only != null && !relays.containsKey(only)) throw new ControlException("no relay named \"" + only + "\"");
        Map<String, List<Integer>> pmdsOf = new HashMap<>();
        Map<String, Double> usage = new HashMap<>();
        for (PmdThread t : pmds.threads())
            for (RxQueue q : t.queues())
                if (q.isRelay()) {
                    List<Integer> l = pmdsOf.computeIfAbsent(q.owner(), k -> new ArrayList<>());
                    if (!l.contains(t.id())) l.add(t.id());
                    if (q.load() != null) usage.merge(q.owner(), q.load().lastUsagePercent(), Double::sum);
                }
        List<RelayView.Relay> out = new ArrayList<>();
        for (Relay r : relays.values()) {
            if (only != null && !only.equals(r.config.name())) continue;
            RelayConfig c = r.config;
            out.add(new RelayView.Relay(c.name(), c.vhost().path(), c.vhost().mode(), r.vhost.status(), c.vhost().queues(), c.vf().device(),
                    c.vf().type(), r.vf.status(), List.of(
                    direction(c.name(), VM_TO_VF, r.vhost, r.vf, c.vmToVf(), pmdsOf, usage),
                    direction(c.name(), VF_TO_VM, r.vf, r.vhost, c.vfToVm(), pmdsOf, usage))));
        }
        return new RelayView.Relays(out);
    }

    private RelayView.Direction direction(String relay, String dir, Port src, Port dst, int cpu, Map<String, List<Integer>> pmdsOf, Map<String, Double> usage) {
        String key = relay + "/" + dir;
        PortCounters s = src.counters(), d = dst.counters();
        Map<String, Long> drops = new LinkedHashMap<>();
        for (PortCounters.Counter k : List.of(PortCounters.Counter.TX_DROP_NO_BUFFER, PortCounters.Counter.TX_DROP_DOWN, PortCounters.Counter.TX_DROP_TOO_BIG))
            if (d.get(k) != 0) drops.put(k.label, d.get(k));
        for (var e : dst.extraCounters().entrySet()) if (e.getKey().startsWith("tx_") && e.getValue() != 0) drops.merge(e.getKey(), e.getValue(), Long::sum);
        for (var e : src.extraCounters().entrySet()) if (e.getKey().startsWith("rx_") && e.getValue() != 0) drops.merge(e.getKey(), e.getValue(), Long::sum);
        long dropped = drops.values().stream().mapToLong(Long::longValue).sum();
        long[] rate = rates.getOrDefault(key, new long[5]);
        List<Integer> on = pmdsOf.getOrDefault(key, List.of());
        return new RelayView.Direction(dir, s.get(PortCounters.Counter.RX_PACKETS), s.get(PortCounters.Counter.RX_BYTES),
                d.get(PortCounters.Counter.TX_PACKETS), dropped, drops, rate[3], rate[4], List.copyOf(on), cpu < 0 ? null : cpu,
                Math.round(usage.getOrDefault(key, 0.0) * 10) / 10.0);
    }
}
