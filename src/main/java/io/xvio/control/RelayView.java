package io.xvio.control;

import java.util.List;
import java.util.Map;

/**
 * What show-relays and pmd-rxq-show answer, as plain records (rendered as text here, as JSON by {@link JsonRender};
 * the snake_case JSON names are a contract as {@link Status}'s).
 */
final class RelayView {
    private RelayView() {}

    record Relays(List<Relay> relays) {}

    record Relay(String name, String vhostPath, String vhostMode, String vhostStatus, int queuePairs, String vfDevice,
                 String vfType, String vfStatus, List<Direction> directions) {}

    /**
     * One direction: packets/bytes received from its source, delivered to its destination, dropped (total and by
     * reason), the rate over the last second, which PMD threads poll it and the CPU it is pinned to (null: placed by load).
     */
    record Direction(String name, long packets, long bytes, long delivered, long dropped, Map<String, Long> drops,
                     long ratePps, long rateBps, List<Integer> pmds, Integer pinnedCpu, double usagePercent) {}

    record RxqShow(boolean autoLb, int intervalSeconds, int improvementThreshold, long moves, List<RxqThread> pmds) {}

    record RxqThread(int id, Integer cpu, double usagePercent, List<Rxq> queues) {}

    /** One polled queue: usage is its share of its thread's time in the last interval. */
    record Rxq(String owner, String port, int queue, boolean pinned, double usagePercent, long busyNs, long packets) {}

    static String text(Relays rs) {
        if (rs.relays().isEmpty()) return "no relays\n";
        StringBuilder sb = new StringBuilder();
        for (Relay r : rs.relays()) {
            sb.append(String.format("relay %s: vhost %s (%s, %s, %d queue pair(s)) <-> vf %s (%s, %s)%n", r.name(), r.vhostPath(),
                    r.vhostMode(), r.vhostStatus(), r.queuePairs(), r.vfDevice(), r.vfType(), r.vfStatus()));
            for (Direction d : r.directions()) {
                sb.append(String.format("  %s: packets=%d bytes=%d delivered=%d dropped=%d rate=%d pps %d bit/s pmd=%s%s usage=%.1f %%%n",
                        d.name(), d.packets(), d.bytes(), d.delivered(), d.dropped(), d.ratePps(), d.rateBps() * 8,
                        d.pmds().isEmpty() ? "-" : d.pmds().stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElse(""),
                        d.pinnedCpu() == null ? "" : " (pinned to cpu " + d.pinnedCpu() + ")", d.usagePercent()));
                for (var e : d.drops().entrySet()) sb.append(String.format("    %s: %d%n", e.getKey(), e.getValue()));
            }
        }
        return sb.toString();
    }

    static String text(RxqShow s) {
        StringBuilder sb = new StringBuilder(String.format("pmd-auto-lb: %s, interval %d s, improvement threshold %d %%, queues moved: %d%n",
                s.autoLb() ? "on" : "off", s.intervalSeconds(), s.improvementThreshold(), s.moves()));
        for (RxqThread t : s.pmds()) {
            sb.append(String.format("pmd%d%s: usage %.1f %%%n", t.id(), t.cpu() == null ? " (unpinned)" : " cpu " + t.cpu(), t.usagePercent()));
            for (Rxq q : t.queues())
                sb.append(String.format("  %-20s %-16s rxq %-2d %s usage: %5.1f %% packets: %d%n", q.port(), q.owner(), q.queue(),
                        q.pinned() ? "pinned " : "       ", q.usagePercent(), q.packets()));
        }
        return sb.toString();
    }
}
