package io.xvio.control;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * The daemon's state as plain records, one answer per read-only command. {@link DaemonStatus} builds them from
 * the live bridges, ports and PMD threads; {@link TextRender} and {@link JsonRender} render them for the CLI and
 * {@link PrometheusRender} for {@code /metrics}, so every form carries the same numbers. In JSON a field is named
 * after its record component in snake_case ({@code rxPackets} is {@code rx_packets}); those names are a contract
 * (README, "JSON output"): add fields, never rename them.
 */
final class Status {
    private Status() {}

    // ------------------------------------------------------------------ show

    record Show(long pid, long uptimeSeconds, String controlSocket, List<ShowBridge> bridges) {}

    /** flows: flows in the datapath's tables (0 only before the first install: then NORMAL). */
    record ShowBridge(String name, int flows, List<ShowPort> ports) {}

    /**
     * vlanMode "access" (tag set) or "trunk" (trunks: the VLANs it carries, null for all). details: the port
     * type's own facts (path, features, device, ...), free-form keys as `show` prints them.
     */
    record ShowPort(int ofport, String name, String type, String vlanMode, Integer tag, List<Integer> trunks,
                    String status, Map<String, String> details) {}

    // ------------------------------------------------------------------ stats

    record Stats(List<BridgeStats> bridges) {}

    /** drops: packets the bridge's pipeline dropped, by reason (no matching flow, ttl exceeded, ...), non-zero ones only. */
    record BridgeStats(String name, List<PortStats> ports, java.util.Map<String, Long> drops) {}

    /**
     * drops: every drop reason of the port with its count (zeros too), keyed as `stats` prints them, e.g.
     * "tx_dropped(guest ring full)"; dropped is their sum. offloads: the transmit offload counters
     * (tx_gso_whole, tx_gso_segmented, tx_gso_segments, tx_csum_completed). txRetries: times a vhost-user port
     * offered the rest of a burst again because the guest's ring ran out part way (OVS's tx_retries).
     */
    record PortStats(int ofport, String name, String type, String status, long rxPackets, long rxBytes,
                     long txPackets, long txBytes, long rxGsoFrames, long dropped, Map<String, Long> drops,
                     Map<String, Long> offloads, long txRetries) {
        PortStats(int ofport, String name, String type, String status, long rxPackets, long rxBytes,
                  long txPackets, long txBytes, long rxGsoFrames, long dropped, Map<String, Long> drops) {
            this(ofport, name, type, status, rxPackets, rxBytes, txPackets, txBytes, rxGsoFrames, dropped, drops, Map.of(), 0);
        }

        boolean up() { return status.equals("up"); }
    }

    // ------------------------------------------------------------------ pmd-stats

    record PmdStats(List<Pmd> pmds) {}

    /**
     * One PMD thread. Counters since the last pmd-stats-clear (for `pmd-stats`) or since the thread started
     * (for metrics, where wallNs is not used). cpu: null when not pinned.
     */
    record Pmd(int id, Integer cpu, long packets, long bursts, long busyNs, long wallNs, long busyLoops, long idleLoops,
               List<PmdCache> caches, List<RxQueueInfo> queues) {
        @JsonProperty("avg_burst")
        double avgBurst() { return bursts == 0 ? 0.0 : (double) packets / bursts; }

        @JsonProperty("busy_percent")
        double busyPercent() { return wallNs <= 0 ? 0.0 : 100.0 * busyNs / wallNs; }

        @JsonProperty("ns_per_packet")
        double nsPerPacket() { return packets == 0 ? 0.0 : (double) busyNs / packets; }
    }

    /** One PMD thread's megaflow cache for one bridge (hits include emcHits, the exact-match cache's). */
    /** recirc*: the thread's cache for recirculated packets (select groups' second pass); drops: this thread's, by reason. */
    record PmdCache(String bridge, long hits, long emcHits, long misses, long uncacheable, long masks, long entries,
                    long revalidations, long evicted, long kept, long flushes, long recircHits, long recircMisses, long recircEntries,
                    Map<String, Long> drops) {
        PmdCache(String bridge, long hits, long emcHits, long misses, long uncacheable, long masks, long entries,
                 long revalidations, long evicted, long kept, long flushes) {
            this(bridge, hits, emcHits, misses, uncacheable, masks, entries, revalidations, evicted, kept, flushes, 0, 0, 0, Map.of());
        }

        boolean used() { return hits + misses > 0; }
    }

    /** A polled queue: bridge (or relay direction), port, queue, and the packets received on it since it was made. */
    record RxQueueInfo(String bridge, String port, int queue, long packets) {
        RxQueueInfo(String bridge, String port, int queue) { this(bridge, port, queue, 0); }
    }

    // ------------------------------------------------------------------ fdb/show

    record Fdb(String bridge, List<FdbEntry> entries) {}

    /** ofport and port are null when the entry names a port index the bridge no longer has. */
    record FdbEntry(Integer ofport, String port, int vlan, String mac, long ageSeconds) {}

    // ------------------------------------------------------------------ dump-ports

    record PortCounts(String bridge, List<PortCount> ports) {}

    record PortCount(int ofport, String name, long rxPackets, long rxBytes, long rxDropped, long rxErrors,
                     long txPackets, long txBytes, long txDropped, long txErrors) {}

    // ------------------------------------------------------------------ dump-flows

    record Flows(String bridge, List<FlowEntry> flows) {}

    /** cookie in hex ("0x5": a 64-bit unsigned value); timeouts 0 = none; match and actions in ovs-ofctl syntax. */
    record FlowEntry(int table, int priority, String cookie, double durationSeconds, long nPackets, long nBytes,
                     int idleTimeout, int hardTimeout, long idleAge, String match, String actions) {}

    // ------------------------------------------------------------------ metrics

    /** What /metrics serves: the stats, the PMD threads' counters since they started, and bridge sizes. */
    record Metrics(long startTimeSeconds, Stats stats, List<Pmd> pmds, List<BridgeSize> bridges) {}

    record BridgeSize(String name, int flows, int macEntries) {}

    /** A meter's counters as meter-stats gives them: per band, the packets and bytes that exceeded it (and so were dropped). */
    record MeterStat(String bridge, long id, int flows, long packetsIn, long bytesIn, List<Long> bandPackets, List<Long> bandBytes) {}
}
