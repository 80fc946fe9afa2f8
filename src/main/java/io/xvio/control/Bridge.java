package io.xvio.control;

import io.xvio.datapath.action.*;

import io.xvio.datapath.*;
import io.xvio.port.Port;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /** A bridge whose ct() flows use the daemon's shared connection tracker. */
    Bridge(String name, io.xvio.datapath.conntrack.Conntrack conntrack) {
        this.name = name;
        this.datapath = new BridgeDatapath(name, conntrack);
    }

    static Flow defaultNormal() {
        return FlowParser.parse("priority=0,actions=NORMAL");
    }

    Port[] portArray() { return ports.toArray(Port[]::new); }

    /** The port array this bridge's receive queues transmit to (with tunnel overlays' and patch peers' ports), set by the daemon. */
    volatile Port[] sendTo;

    /** What a packet-out on this bridge transmits to: the queues' array, the bridge's own ports before there is one. */
    Port[] sendArray() {
        Port[] s = sendTo;
        return s != null ? s : portArray();
    }

    int[] ofports() { return ports.stream().mapToInt(Port::ofport).toArray(); }

    Port port(String name) {
        for (Port p : ports) if (p.name().equals(name)) return p;
        return null;
    }

    synchronized List<Flow> flows() { return List.copyOf(flows); }

    /** OVS's fail-open flow (priority 0xf0f0f0, above any OpenFlow priority, hidden from dumps), while fail-open. */
    private Flow failOpen;

    /** Fail-open on (every controller lost in fail_mode standalone: forward by NORMAL) or off. */
    synchronized void setFailOpen(boolean on) {
        if ((failOpen != null) == on) return;
        failOpen = on ? new Flow(0, 0xf0f0f0, 0, new Match(), List.of(new Normal()), 0, 0, "priority=15790320,actions=NORMAL") : null;
        publish();
    }

    synchronized boolean failOpen() { return failOpen != null; }

    /** Publishes ports and flows to the datapath as one new table set. */
    synchronized void publish() {
        List<Flow> all = flows;
        if (failOpen != null) {
            all = new ArrayList<>(flows);
            all.add(failOpen);
        }
        publishKeyedPorts();
        datapath.install(ofports(), vlans.toArray(PortVlan[]::new), all);
        refreshLiveness();
        try {
            quiescence.await();
        } catch (IllegalStateException e) {
            // the new tables are in force; a starved PMD thread only finishes its current burst late
            java.util.logging.Logger.getLogger("xvio.control").warning("bridge " + name + ": " + e.getMessage());
        }
    }

    synchronized void setFlows(List<Flow> fs) {
        for (Flow f : fs) checkGroupsOf(f, groups);
        for (Flow f : fs) MeterCommands.checkFlow(f.actions, datapath.meters(), f::text);
        flows.clear();
        flows.addAll(fs.isEmpty() ? List.of(defaultNormal()) : fs);
        publish();
    }

    // ------------------------------------------------------------------------------------------ groups

    private final java.util.TreeMap<Long, Group> groups = new java.util.TreeMap<>();

    synchronized List<Group> groups() { return List.copyOf(groups.values()); }

    /** A flow may only name groups that exist (as OVS: OFPBAC_BAD_OUT_GROUP). */
    private static void checkGroupsOf(Flow f, Map<Long, Group> gs) {
        for (long g : ActionOutputs.groups(f.actions))          // inside clone(...) too
            if (!gs.containsKey(g))
                throw new ControlException("flow \"" + f.text() + "\" names group " + g + ", which does not exist (add-group first)");
    }

    /**
     * Checks a group set: every group a bucket names (group action, watch_group) exists, and no group reaches itself
     * through them (as OVS: OFPGMFC_BAD_WATCH / OFPGMFC_LOOP).
     */
    private static void checkGroups(Map<Long, Group> gs) {
        for (Group g : gs.values())
            for (long r : g.referencedGroups())
                if (!gs.containsKey(r)) throw new ControlException("group " + g.id + " names group " + r + ", which does not exist");
        for (Group g : gs.values()) {
            java.util.Deque<Long> todo = new java.util.ArrayDeque<>(g.referencedGroups());
            java.util.Set<Long> seen = new java.util.HashSet<>();
            while (!todo.isEmpty()) {
                long r = todo.pop();
                if (r == g.id) throw new ControlException("group " + g.id + " would reach itself through its buckets (a loop)");
                if (seen.add(r)) todo.addAll(gs.get(r).referencedGroups());
            }
        }
    }

    /** add-group (modify=false: the id must be new) or mod-group (modify=true: it must exist). */
    synchronized void putGroup(Group g, boolean modify) {
        if (!modify && groups.containsKey(g.id)) throw new ControlException("group " + g.id + " already exists (mod-group changes it)");
        if (modify && !groups.containsKey(g.id)) throw new ControlException("group " + g.id + " does not exist (add-group adds it)");
        java.util.TreeMap<Long, Group> next = new java.util.TreeMap<>(groups);
        next.put(g.id, modify ? g.modifying(groups.get(g.id)) : g);
        checkGroups(next);
        groups.clear();
        groups.putAll(next);
        datapath.setGroups(groups);
        awaitQuiescence();
    }

    /**
     * del-groups: removes the selected groups (all if null) and, as OVS does, every flow that names one of them.
     * A group another remaining group names cannot go. Returns {groups removed, flows removed}.
     */
    synchronized int[] delGroups(java.util.Set<Long> ids) {
        java.util.TreeMap<Long, Group> next = new java.util.TreeMap<>(groups);
        if (ids == null) next.clear();
        else next.keySet().removeAll(ids);
        for (Group g : next.values())
            for (long r : g.referencedGroups())
                if (!next.containsKey(r)) throw new ControlException("group " + r + " is named by group " + g.id + ": delete that one too");
        int removed = groups.size() - next.size();
        int before = flows.size();
        flows.removeIf(f -> ActionOutputs.groups(f.actions).stream().anyMatch(g -> !next.containsKey(g)));
        int flowsRemoved = before - flows.size();
        groups.clear();
        groups.putAll(next);
        datapath.setGroups(groups);
        if (flowsRemoved > 0) publish(); else awaitQuiescence();
        return new int[] {removed, flowsRemoved};
    }

    /**
     * Tells the datapath which ports read the flow key when they send (tunnel ports, and ports a mirror copies on
     * transmit to such a tunnel port), before tables that use them.
     */
    private void publishKeyedPorts() {
        boolean[] k = new boolean[ports.size()];
        for (int i = 0; i < k.length; i++) {
            Port p = ports.get(i);
            k[i] = p instanceof io.xvio.port.TunnelPort tp && tp.readsFlowKey() || mirroredToKeyed.contains(p.name());
        }
        datapath.setKeyedPorts(k);
    }

    /** Names of the ports whose transmit a mirror copies to a port that reads the flow key ({@link Mirrors} keeps it). */
    private java.util.Set<String> mirroredToKeyed = java.util.Set.of();

    /**
     * Mirrors changed which ports' transmit is copied to a key-reading tunnel port: the datapath stops replaying
     * their translations header-free (the copy would leave with another packet's tunnel key) before the mirror runs.
     */
    synchronized void mirroredToKeyed(java.util.Set<String> names) {
        if (names.equals(mirroredToKeyed)) return;
        mirroredToKeyed = java.util.Set.copyOf(names);
        publishKeyedPorts();
        awaitQuiescence();
    }

    /** Publishes which ports are up (for group buckets' watch_port) if that changed. */
    synchronized void refreshLiveness() {
        boolean[] live = new boolean[ports.size()];
        for (int i = 0; i < live.length; i++) {
            try {
                live[i] = ports.get(i).live();
            } catch (RuntimeException e) {
                live[i] = false;
            }
        }
        datapath.setLive(live);
    }

    private void awaitQuiescence() {
        try {
            quiescence.await();
        } catch (IllegalStateException e) {
            java.util.logging.Logger.getLogger("xvio.control").warning("bridge " + name + ": " + e.getMessage());
        }
    }

    /** Adds flows; one with the same table, priority and match replaces the old one (as ovs-ofctl add-flow). */
    synchronized void addFlows(List<Flow> fs) { addFlows(fs, true); }

    /**
     * As {@link #addFlows(List)}; await false: returns without waiting for the PMD threads to pass a quiescent point.
     * A PMD thread reads the tables after it received a burst (BridgeDatapath.process), so a frame that arrives after
     * this returned meets the new flows either way: the wait only lets the frames in the PMD threads' hands at that
     * moment go first. OpenFlow's barrier promises no more, and ovs-ofctl add-flows without a bundle sends a barrier
     * after every flow_mod: waiting there cost a third of its time.
     */
    synchronized void addFlows(List<Flow> fs, boolean await) { addFlows(fs, await, true); }

    /**
     * As {@link #addFlows(List, boolean)}; a flow that replaces one counts on in its counters unless resetCounts, and
     * its idle clock goes on from the old one's last hit (Flow.replacing: OVS's add over an identical rule).
     */
    synchronized void addFlows(List<Flow> fs, boolean await, boolean resetCounts) {
        for (Flow f : fs) checkGroupsOf(f, groups);
        for (Flow f : fs) MeterCommands.checkFlow(f.actions, datapath.meters(), f::text);
        List<Flow[]> took = new ArrayList<>();      // {old, new}
        if (datapath.flows().size() != flows.size() + (failOpen != null ? 1 : 0)) {   // never expected: the slow, sure way
            for (Flow f : fs) {
                for (Flow o : flows) if (o.table == f.table && o.priority == f.priority && o.match.equals(f.match)) took.add(new Flow[] {o, f});
                flows.removeIf(o -> o.table == f.table && o.priority == f.priority && o.match.equals(f.match));
                flows.add(f);
            }
            for (Flow[] r : took) r[1].replacing(r[0], resetCounts);
            publish();
            for (Flow[] r : took) r[1].keepLastHitOf(r[0]);
            return;
        }
        // as adding them one by one: of flows with the same key in fs the last one stays; the published tables (in
        // step with flows) find the flows they replace by key, so a batch costs its size, not the table's
        record Key(int table, int priority, Match match) {}
        java.util.Map<Key, Flow> last = new java.util.HashMap<>();
        for (Flow f : fs) last.put(new Key(f.table, f.priority, f.match), f);
        java.util.Set<Flow> replaced = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Flow f : fs) {
            if (last.get(new Key(f.table, f.priority, f.match)) != f) continue;
            for (Flow o : datapath.flowsWithKey(f.table, f.priority, f.match)) {
                if (o == failOpen) continue;
                if (replaced.add(o)) took.add(new Flow[] {o, f});
            }
        }
        for (Flow[] r : took) r[1].replacing(r[0], resetCounts);     // before any thread can hit the new flows
        if (!replaced.isEmpty()) flows.removeIf(replaced::contains);
        List<Flow> added = new ArrayList<>(last.size());
        for (Flow f : fs) if (last.get(new Key(f.table, f.priority, f.match)) == f) added.add(f);
        flows.addAll(added);
        List<Flow> all = flows;
        if (failOpen != null) {
            all = new ArrayList<>(flows);
            all.add(failOpen);
        }
        publishKeyedPorts();
        datapath.installChanges(ofports(), vlans.toArray(PortVlan[]::new), all, added, List.copyOf(replaced));
        refreshLiveness();
        if (await) awaitQuiescence();
        for (Flow[] r : took) r[1].keepLastHitOf(r[0]);           // hits the old flows took while threads switched over
    }

    synchronized int delFlows(Predicate<Flow> selected) {
        int before = flows.size();
        List<Learn> forgetting = new ArrayList<>();
        for (Flow f : flows)
            if (selected.test(f)) for (Action a : f.actions) if (a instanceof Learn l && l.deleteLearned()) forgetting.add(l);
        flows.removeIf(selected);
        for (Learn l : forgetting) deleteLearned(l);
        int n = before - flows.size();
        if (n > 0) publish();
        return n;
    }

    /**
     * Gives the selected flows new actions; they keep their counters, age, cookie and timeouts (as ovs-ofctl
     * mod-flows) unless resetCounts. Returns how many flows changed.
     */
    synchronized int modFlows(Predicate<Flow> selected, List<Action> actions, String text, boolean resetCounts) {
        return modFlows(selected, actions, text, resetCounts, -1L);
    }

    /** As {@link #modFlows(Predicate, List, String, boolean)}; newCookie, unless -1 (UINT64_MAX: none), becomes their cookie. */
    synchronized int modFlows(Predicate<Flow> selected, List<Action> actions, String text, boolean resetCounts, long newCookie) {
        for (long g : ActionOutputs.groups(actions))
            if (!groups.containsKey(g))
                throw new ControlException("\"" + text + "\" names group " + g + ", which does not exist (add-group first)");
        MeterCommands.checkFlow(actions, datapath.meters(), () -> text);
        List<Flow[]> replaced = new ArrayList<>();   // {old, new}
        for (int i = 0; i < flows.size(); i++) {
            Flow old = flows.get(i);
            if (selected.test(old)) {
                Flow m = old.modified(actions, text, resetCounts, newCookie == -1L ? old.cookie : newCookie);
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

    /**
     * Replaces the flows and groups together in one publication (an OpenFlow bundle commit): every flow's groups
     * and meters and every group's references are checked first, then the datapath swaps its tables once.
     */
    synchronized void replaceTables(List<Flow> fs, Map<Long, Group> gs) {
        java.util.TreeMap<Long, Group> next = new java.util.TreeMap<>(gs);
        checkGroups(next);
        for (Flow f : fs) checkGroupsOf(f, next);
        for (Flow f : fs) MeterCommands.checkFlow(f.actions, datapath.meters(), f::text);
        flows.clear();
        flows.addAll(fs);
        groups.clear();
        groups.putAll(next);
        List<Flow> all = flows;
        if (failOpen != null) {
            all = new ArrayList<>(flows);
            all.add(failOpen);
        }
        publishKeyedPorts();
        datapath.install(ofports(), vlans.toArray(PortVlan[]::new), all, groups);
        refreshLiveness();
        awaitQuiescence();
    }

    /**
     * Applies learn actions' flows (the {@link Learner}'s batch), as OVS's learn flow_mod (OFPFC_MODIFY_STRICT): a flow
     * with the same table, priority and match is refreshed if it is the same flow (actions, cookie, timeouts), else
     * replaced; otherwise the flow is added unless its learn's limit is reached (flows with its cookie in its table).
     * Each learning's cache handle is pointed at the flow now in force. One publication for the batch, if anything changed.
     */
    synchronized void learn(List<Learner.Learned> batch, long now) {
        boolean changed = false;
        for (Learner.Learned l : batch) {
            Flow f = l.flow();
            int at = -1;
            for (int i = 0; i < flows.size(); i++) {
                Flow o = flows.get(i);
                if (o.table == f.table && o.priority == f.priority && o.match.equals(f.match)) { at = i; break; }
            }
            if (at >= 0) {
                Flow o = flows.get(at);
                if (o.actions.equals(f.actions) && o.cookie == f.cookie && o.idleTimeout == f.idleTimeout && o.hardTimeout == f.hardTimeout) {
                    o.refresh(now);
                    if (l.ref() != null) l.ref().bind(o);
                    continue;
                }
                flows.set(at, f);
            } else {
                long limit = l.learn().limit();
                if (limit > 0 && flows.stream().filter(o -> o.table == f.table && o.cookie == f.cookie).count() >= limit) continue;
                flows.add(f);
            }
            if (l.ref() != null) l.ref().bind(f);
            changed = true;
        }
        if (changed) publish();
    }

    /**
     * learn(delete_learned): once no flow is left with a delete_learned learn into l's table with l's cookie, the flows
     * of that table with that cookie go too (OVS's learned_cookies).
     */
    private void deleteLearned(Learn l) {
        for (Flow f : flows)
            for (Action a : f.actions)
                if (a instanceof Learn o && o.deleteLearned() && o.table() == l.table() && o.cookie() == l.cookie()) return;
        flows.removeIf(f -> f.table == l.table() && f.cookie == l.cookie());
    }

    /** Told which flows a timeout removed (the bridge's OpenFlow channels, for OFPT_FLOW_REMOVED), or null. */
    volatile java.util.function.Consumer<List<Flow>> onExpired;

    /** Removes flows whose idle or hard timeout passed; returns how many. */
    synchronized int expire(long now) {
        java.util.function.Consumer<List<Flow>> tell = onExpired;
        List<Flow> gone = tell == null ? null : flows.stream().filter(f -> f.expired(now)).toList();
        int n = delFlows(f -> f.expired(now));
        if (tell != null && n > 0) tell.accept(gone);
        return n;
    }

    String portName(int index) { return index >= 0 && index < ports.size() ? ports.get(index).name() : "#" + index; }
}
