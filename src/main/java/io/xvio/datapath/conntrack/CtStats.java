package io.xvio.datapath.conntrack;

import java.util.Map;

/**
 * `conntrack stats`: connections in the table and its limit, connections per zone and protocol, counters
 * (created, expired, invalid by reason, limit hits: "limit" and "zone-limit").
 */
public record CtStats(int connections, int limit, int capacity, Map<Integer, Map<String, Integer>> perZone,
                      Map<String, Long> counters) {
    /** Plain text: one line per fact, as the CLI prints it. */
    public String format() {
        StringBuilder b = new StringBuilder();
        b.append("connections: ").append(connections).append(" (limit ").append(limit).append(", capacity ")
                .append(capacity).append(")\n");
        perZone.forEach((z, m) -> m.forEach((p, n) -> b.append("  zone ").append(z).append(' ').append(p).append(": ").append(n).append('\n')));
        counters.forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
        return b.toString();
    }
}
