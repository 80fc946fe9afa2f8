package io.xvio.control;

import io.xvio.datapath.*;
import io.xvio.port.Port;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A bridge as the control plane sees it: its ports (index = position), their VLAN modes, and the
 * authoritative list of its flows. Every change builds new immutable datapath tables and publishes them.
 * A bridge configured without flows starts with OVS's default flow, priority=0 actions=NORMAL.
 */
final class Bridge {
    final String name;
    final BridgeDatapath datapath;
    final List<Port> ports = new ArrayList<>();
    final List<PortVlan> vlans = new ArrayList<>();
    private final List<Flow> flows = new ArrayList<>();
    /** Waited on after each publication, so a change is in force for every packet after the command returns. */
    io.xvio.util.Quiescence quiescence = io.xvio.util.Quiescence.NONE;

    Bridge(String name) {
        this.name = name;
        this.datapath = new BridgeDatapath(name);
    }

    static Flow defaultNormal() {
        return FlowParser.parse("priority=0,actions=NORMAL");
    }

    Port[] portArray() { return ports.toArray(Port[]::new); }

    int[] ofports() { return ports.stream().mapToInt(Port::ofport).toArray(); }

    Port port(String name) {
        for (Port p : ports) if (p.name().equals(name)) return p;
        return null;
    }

    synchronized List<Flow> flows() { return List.copyOf(flows); }

    /** Publishes ports and flows to the datapath as one new table set. */
    synchronized void publish() {
        datapath.install(ofports(), vlans.toArray(PortVlan[]::new), flows);
        try {
            quiescence.await();
        } catch (IllegalStateException e) {
            // the new tables are in force; a starved PMD thread only finishes its current burst late
            java.util.logging.Logger.getLogger("xvio.control").warning("bridge " + name + ": " + e.getMessage());
        }
    }

    synchronized void setFlows(List<Flow> fs) {
        flows.clear();
        flows.addAll(fs.isEmpty() ? List.of(defaultNormal()) : fs);
        publish();
    }

    /** Adds flows; one with the same table, priority and match replaces the old one (as ovs-ofctl add-flow). */
    synchronized void addFlows(List<Flow> fs) {
        for (Flow f : fs) {
            flows.removeIf(o -> o.table == f.table && o.priority == f.priority && o.match.equals(f.match));
            flows.add(f);
        }
        publish();
    }

    synchronized int delFlows(Predicate<Flow> selected) {
        int before = flows.size();
        flows.removeIf(selected);
        int n = before - flows.size();
        if (n > 0) publish();
        return n;
    }

    /**
     * Gives the selected flows new actions; they keep their counters, age, cookie and timeouts (as ovs-ofctl
     * mod-flows) unless resetCounts. Returns how many flows changed.
     */
    synchronized int modFlows(Predicate<Flow> selected, List<Action> actions, String text, boolean resetCounts) {
        List<Flow[]> replaced = new ArrayList<>();   // {old, new}
        for (int i = 0; i < flows.size(); i++) {
            Flow old = flows.get(i);
            if (selected.test(old)) {
                Flow m = old.modified(actions, text, resetCounts);
                flows.set(i, m);
                replaced.add(new Flow[] {old, m});
            }
        }
        if (replaced.isEmpty()) return 0;
        publish();
        // no thread hits the old flows any more: their last hits since the copy count for the new ones
        for (Flow[] r : replaced) r[1].keepLastHitOf(r[0]);
        return replaced.size();
    }

    /** Removes flows whose idle or hard timeout passed; returns how many. */
    synchronized int expire(long now) {
        return delFlows(f -> f.expired(now));
    }

    String portName(int index) { return index >= 0 && index < ports.size() ? ports.get(index).name() : "#" + index; }
}
