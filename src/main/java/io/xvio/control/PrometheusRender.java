package io.xvio.control;

import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.xvio.control.MetricFamilies.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.xvio.control.MetricFamilies.Type.COUNTER;
import static io.xvio.control.MetricFamilies.Type.GAUGE;
import static io.xvio.control.MetricFamilies.Type.INFO;

/**
 * {@link Status.Metrics} as Prometheus metrics, named by Prometheus's conventions: an {@code xvio_} prefix, the
 * thing counted, the unit, {@code _total} on counters. Ports are labelled {@code bridge} and {@code port}, PMD
 * threads {@code pmd}; a port's drops are one counter with {@code direction} and {@code reason} labels (the
 * reasons `stats` names). PMD counters run from the thread's start (pmd-stats-clear does not reset them).
 */
final class PrometheusRender {
    private static final Pattern DROP = Pattern.compile("(rx|tx)_dropped\\((.*)\\)");
    /** The tunnel counters a port's extra counters carry (TunnelDrop's labels, TunnelPort's ICMP answers). */
    private static final String DECAP = "decap: ", ENCAP = "encap: ", TUNNEL_TOO_BIG_ANSWERS = "icmp_too_big_sent";

    private PrometheusRender() {}

    /** A port with its bridge, for families that iterate over all ports. */
    private record BridgePort(String bridge, Status.PortStats port) {}

    static MetricSnapshots render(Status.Metrics m) {
        MetricFamilies x = new MetricFamilies();
        x.family("xvio_start_time_seconds", GAUGE, "Start time of the xvio daemon since the Unix epoch, in seconds.")
                .sample(m.startTimeSeconds());

        List<BridgePort> ports = new ArrayList<>();
        for (Status.BridgeStats b : m.stats().bridges()) for (Status.PortStats p : b.ports()) ports.add(new BridgePort(b.name(), p));
        x.family("xvio_port_info", INFO, "A port of a bridge (always 1), with its OpenFlow port number and type.");
        for (BridgePort bp : ports)
            x.sample(1, "bridge", bp.bridge(), "port", bp.port().name(), "ofport", Integer.toString(bp.port().ofport()), "type", bp.port().type());
        portFamily(x, ports, "xvio_port_up", GAUGE, "1 when the port is up (connected, link up, queues running), else 0.", p -> p.up() ? 1 : 0);
        portFamily(x, ports, "xvio_port_rx_packets_total", COUNTER, "Packets received on the port (segments, for GSO frames).", Status.PortStats::rxPackets);
        portFamily(x, ports, "xvio_port_rx_bytes_total", COUNTER, "Bytes received on the port.", Status.PortStats::rxBytes);
        portFamily(x, ports, "xvio_port_tx_packets_total", COUNTER, "Packets sent on the port.", Status.PortStats::txPackets);
        portFamily(x, ports, "xvio_port_tx_bytes_total", COUNTER, "Bytes sent on the port.", Status.PortStats::txBytes);
        portFamily(x, ports, "xvio_port_tx_retries_total", COUNTER, "Times a vhost-user port offered the rest of a burst again after the guest's receive ring ran out (OVS's tx_retries).", Status.PortStats::txRetries);
        portFamily(x, ports, "xvio_port_rx_gso_frames_total", COUNTER, "GSO frames the port received whole and segmented itself.", Status.PortStats::rxGsoFrames);
        portFamily(x, ports, "xvio_port_tx_gso_whole_total", COUNTER, "GSO frames the port's receiver took whole (TSO).", p -> p.offloads().getOrDefault("tx_gso_whole", 0L));
        portFamily(x, ports, "xvio_port_tx_gso_segmented_total", COUNTER, "GSO frames cut into segments in software for the port.", p -> p.offloads().getOrDefault("tx_gso_segmented", 0L));
        portFamily(x, ports, "xvio_port_tx_gso_segments_total", COUNTER, "Segments made in software for the port.", p -> p.offloads().getOrDefault("tx_gso_segments", 0L));
        portFamily(x, ports, "xvio_port_rx_gso_whole_total", COUNTER, "GSO frames the port received whole and passed on with their offload state (tap, afpacket).", p -> p.offloads().getOrDefault("rx_gso_whole", 0L));
        portFamily(x, ports, "xvio_port_tx_csum_completed_total", COUNTER, "Partial checksums completed in software for the port.", p -> p.offloads().getOrDefault("tx_csum_completed", 0L));
        x.family("xvio_port_dropped_packets_total", COUNTER, "Packets the port dropped, by direction (rx, tx) and reason.");
        for (BridgePort bp : ports) {
            for (var d : bp.port().drops().entrySet()) {
                if (d.getKey().equals(TUNNEL_TOO_BIG_ANSWERS)) continue;   // not a drop: the answers to the drops
                Matcher dm = DROP.matcher(d.getKey());
                String dir = dm.matches() ? dm.group(1) : d.getKey().startsWith(DECAP) ? "rx" : d.getKey().startsWith(ENCAP) ? "tx" : "";
                String reason = dm.matches() ? dm.group(2) : d.getKey();
                x.sample(d.getValue(), "bridge", bp.bridge(), "port", bp.port().name(), "direction", dir, "reason", reason);
            }
        }
        tunnelFamilies(x, ports);

        x.family("xvio_bridge_dropped_packets_total", COUNTER, "Packets a bridge's flow tables dropped, by reason.");
        for (Status.BridgeStats b : m.stats().bridges())
            for (var d : b.drops().entrySet()) x.sample(d.getValue(), "bridge", b.name(), "reason", d.getKey());
        x.family("xvio_bridge_flows", GAUGE, "Flows in the bridge's flow tables.");
        for (Status.BridgeSize b : m.bridges()) x.sample(b.flows(), "bridge", b.name());
        x.family("xvio_bridge_mac_entries", GAUGE, "Live entries of the bridge's MAC learning table.");
        for (Status.BridgeSize b : m.bridges()) x.sample(b.macEntries(), "bridge", b.name());

        x.family("xvio_pmd_info", INFO, "A poll-mode thread (always 1), with the CPU it is pinned to (\"any\" if none).");
        for (Status.Pmd t : m.pmds()) x.sample(1, "pmd", pmd(t), "cpu", t.cpu() == null ? "any" : Integer.toString(t.cpu()));
        pmdFamily(x, m.pmds(), "xvio_pmd_packets_total", "Packets the PMD thread received from its queues.", Status.Pmd::packets);
        pmdFamily(x, m.pmds(), "xvio_pmd_bursts_total", "Non-empty bursts the PMD thread received.", Status.Pmd::bursts);
        x.family("xvio_pmd_busy_seconds_total", COUNTER, "Time the PMD thread spent on loops that moved packets; rate() of it is the busy fraction.");
        for (Status.Pmd t : m.pmds()) x.sample(t.busyNs() / 1e9, "pmd", pmd(t));
        x.family("xvio_pmd_loops_total", COUNTER, "Polling loops of the PMD thread, busy (moved packets) or idle.");
        for (Status.Pmd t : m.pmds()) {
            x.sample(t.busyLoops(), "pmd", pmd(t), "kind", "busy");
            x.sample(t.idleLoops(), "pmd", pmd(t), "kind", "idle");
        }
        x.family("xvio_pmd_rx_queue_info", INFO, "A receive queue the PMD thread polls (always 1).");
        for (Status.Pmd t : m.pmds())
            for (Status.RxQueueInfo q : t.queues()) x.sample(1, "pmd", pmd(t), "bridge", q.bridge(), "port", q.port(), "queue", Integer.toString(q.queue()));
        x.family("xvio_pmd_rx_queue_packets_total", COUNTER, "Packets received on a queue since it was made (it keeps them when it moves to another PMD thread).");
        for (Status.Pmd t : m.pmds())
            for (Status.RxQueueInfo q : t.queues()) x.sample(q.packets(), "pmd", pmd(t), "bridge", q.bridge(), "port", q.port(), "queue", Integer.toString(q.queue()));

        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_hits_total", COUNTER, "Packets that hit the PMD thread's megaflow cache for the bridge (exact-match hits included).", Status.PmdCache::hits);
        cacheFamily(x, m.pmds(), "xvio_pmd_emc_hits_total", COUNTER, "Packets that hit the exact-match cache in front of the megaflow cache.", Status.PmdCache::emcHits);
        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_misses_total", COUNTER, "Packets that missed the megaflow cache (the flow tables were walked).", Status.PmdCache::misses);
        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_uncacheable_total", COUNTER, "Translations too long for a megaflow cache entry.", Status.PmdCache::uncacheable);
        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_masks", GAUGE, "Distinct masks in the megaflow cache.", Status.PmdCache::masks);
        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_entries", GAUGE, "Entries in the megaflow cache.", Status.PmdCache::entries);
        cacheFamily(x, m.pmds(), "xvio_pmd_revalidations_total", COUNTER, "New flow-table versions the PMD thread's cache caught up with.", Status.PmdCache::revalidations);
        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_evicted_total", COUNTER, "Megaflow entries evicted by revalidation.", Status.PmdCache::evicted);
        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_kept_total", COUNTER, "Megaflow entries revalidation kept.", Status.PmdCache::kept);
        cacheFamily(x, m.pmds(), "xvio_pmd_megaflow_flushes_total", COUNTER, "Times the whole megaflow cache was emptied (port change, many flows changed).", Status.PmdCache::flushes);
        return x.snapshots();
    }

    /**
     * A tunnel port's encapsulation drops and an underlay endpoint's decapsulation drops, by stage (encap, decap) and
     * reason (TunnelDrop's, without the stage), and the ICMP too-big answers a tunnel port sent. Only reasons that
     * happened appear (what `stats` shows).
     */
    private static void tunnelFamilies(MetricFamilies x, List<BridgePort> ports) {
        x.family("xvio_tunnel_dropped_packets_total", COUNTER, "Packets a tunnel port (encap) or an underlay's tunnel endpoint (decap) dropped, by reason.");
        for (BridgePort bp : ports) {
            for (var d : bp.port().drops().entrySet()) {
                String k = d.getKey();
                String stage = k.startsWith(DECAP) ? "decap" : k.startsWith(ENCAP) ? "encap" : null;
                if (stage != null) x.sample(d.getValue(), "bridge", bp.bridge(), "port", bp.port().name(), "stage", stage, "reason", k.substring(stage.length() + 2));
            }
        }
        x.family("xvio_tunnel_icmp_too_big_sent_total", COUNTER, "ICMP too-big answers a tunnel port sent for frames too big after encapsulation.");
        for (BridgePort bp : ports) {
            Long n = bp.port().drops().get(TUNNEL_TOO_BIG_ANSWERS);
            if (n != null) x.sample(n, "bridge", bp.bridge(), "port", bp.port().name());
        }
    }

    private static String pmd(Status.Pmd t) { return Integer.toString(t.id()); }

    private static void portFamily(MetricFamilies x, List<BridgePort> ports, String name, Type type, String help, ToLongFunction<Status.PortStats> value) {
        x.family(name, type, help);
        for (BridgePort bp : ports) x.sample(value.applyAsLong(bp.port()), "bridge", bp.bridge(), "port", bp.port().name());
    }

    private static void pmdFamily(MetricFamilies x, List<Status.Pmd> pmds, String name, String help, ToLongFunction<Status.Pmd> value) {
        x.family(name, COUNTER, help);
        for (Status.Pmd t : pmds) x.sample(value.applyAsLong(t), "pmd", pmd(t));
    }

    private static void cacheFamily(MetricFamilies x, List<Status.Pmd> pmds, String name, Type type, String help, ToLongFunction<Status.PmdCache> value) {
        x.family(name, type, help);
        for (Status.Pmd t : pmds) for (Status.PmdCache c : t.caches()) x.sample(value.applyAsLong(c), "pmd", pmd(t), "bridge", c.bridge());
    }
}
