package io.xvio.control.ovsdb;

/**
 * OVS's Open_vSwitch other_config:pmd-rxq-assign (roundrobin, cycles (OVS's default) or group): how receive queues
 * are spread over the PMD threads. xvio has one placement, which this maps onto: a new queue goes to the thread with
 * the fewest queues (round-robin from a fresh start; a queue already polled stays where it is), and its pmd-auto-lb
 * (YAML {@code pmd-auto-lb}, on by default) moves queues by their measured busy time, greedily to the least loaded
 * thread, when that evens the load out: the nearest to cycles and group. The value is accepted and what xvio does
 * is logged; an unknown one is logged as OVS does (it then uses cycles).
 */
final class PmdRxqAssign {
    private PmdRxqAssign() {}

    /** The log line for a value of pmd-rxq-assign (null: unset, OVS's cycles). */
    static String describe(String value) {
        String how = "xvio places a new receive queue on the PMD thread with the fewest queues and its pmd-auto-lb "
                + "(YAML pmd-auto-lb, on by default) moves queues by measured load";
        if (value == null) return null;
        return switch (value) {
            case "cycles", "group" -> "other_config:pmd-rxq-assign=" + value + ": " + how + ", the nearest to " + value;
            case "roundrobin" -> "other_config:pmd-rxq-assign=roundrobin: " + how
                    + " (OVS's roundrobin does not; YAML pmd-auto-lb: false keeps the round-robin placement)";
            default -> "other_config:pmd-rxq-assign=\"" + value + "\" is not roundrobin, cycles or group (OVS uses cycles): " + how;
        };
    }
}
