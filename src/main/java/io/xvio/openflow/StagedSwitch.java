package io.xvio.openflow;

import io.xvio.datapath.ActionOutputs;
import io.xvio.datapath.Flow;
import io.xvio.datapath.Group;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A bundle's working copy of a bridge's flow and group tables: the bundle's flow_mods and group_mods run against it
 * with the bridge's own rules (a flow with the same table, priority and match replaces the old one; a flow may name
 * only groups and meters that exist, OFPBAC_BAD_OUT_GROUP / OFPMMFC_INVALID_METER; deleting a group deletes the
 * flows that name it), and only when every message passed does the bridge take the result, in one publication
 * ({@link OfSwitch#replaceTables}). The bridge is not touched before that. Meters, ports and packet-outs are the
 * bridge's: bundles do not carry meter_mods (as in OVS).
 *
 * <p>Flows are kept by (table, priority, match), so an add, and a strict delete or modify of one table
 * ({@link #exactly}), is O(1); a non-strict one walks the table.
 */
final class StagedSwitch implements OfSwitch {
    /** A flow's identity; the hash (over the match's 114 words) computed once, as a bulk add looks each key up twice. */
    private static final class Key {
        final int table, priority, hash;
        final Match match;

        Key(int table, int priority, Match match) {
            this.table = table;
            this.priority = priority;
            this.match = match;
            this.hash = (31 * table + priority) * 31 + match.hashCode();
        }

        static Key of(Flow f) { return new Key(f.table, f.priority, f.match); }

        @Override public int hashCode() { return hash; }

        @Override public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && table == k.table && priority == k.priority && match.equals(k.match);
        }
    }

    private final OfSwitch bridge;
    private final LinkedHashMap<Key, Flow> flows;
    /** Flows of the bridge that share a key with an earlier one (a hand-written config may have them); usually none. */
    private final List<Flow> duplicates = new ArrayList<>();
    private final TreeMap<Long, Group> groups = new TreeMap<>();
    private final Set<Long> meterIds = new HashSet<>();
    /** Flows a modify or an add replaced: {old, new}, so the new ones keep the old ones' last hits once they are in force. */
    final List<Flow[]> replaced = new ArrayList<>();

    /**
     * A copy of bridge's tables, with room for adds more flows (a bundle's size) without rehashing; call it inside
     * bridge.change so they do not move under it.
     */
    StagedSwitch(OfSwitch bridge, int adds) {
        this.bridge = bridge;
        List<Flow> current = bridge.flows();
        flows = LinkedHashMap.newLinkedHashMap(current.size() + adds);
        for (Flow f : current) if (flows.putIfAbsent(Key.of(f), f) != null) duplicates.add(f);
        for (Group g : bridge.groups()) groups.put(g.id, g);
        for (var m : bridge.meters()) meterIds.add(m.id());
    }

    @Override public String name() { return bridge.name(); }
    @Override public List<PortInfo> ports() { return bridge.ports(); }

    @Override
    public List<Flow> flows() {
        List<Flow> out = new ArrayList<>(flows.size() + duplicates.size());
        out.addAll(flows.values());
        out.addAll(duplicates);
        return out;
    }

    @Override
    public void addFlows(List<Flow> fs, boolean resetCounts) {
        for (Flow f : fs) check(f.actions, f::text);
        for (Flow f : fs) {
            Key k = Key.of(f);
            if (!duplicates.isEmpty()) duplicates.removeIf(o -> Key.of(o).equals(k));
            Flow old = flows.putIfAbsent(k, f);
            if (old != null) {                        // a replaced flow: the new one goes last, as the bridge's add puts it
                f.replacing(old, resetCounts);
                replaced.add(new Flow[] {old, f});
                flows.remove(k);
                flows.put(k, f);
            }
        }
    }

    @Override
    public int deleteFlows(Predicate<Flow> selected) {
        int before = flows.size() + duplicates.size();
        flows.values().removeIf(selected);
        duplicates.removeIf(selected);
        return before - flows.size() - duplicates.size();
    }

    @Override
    public int modifyFlows(Predicate<Flow> selected, List<Action> actions, boolean resetCounts, long newCookie) {
        String text = "actions=" + io.xvio.datapath.FlowFormat.actions(actions);
        check(actions, () -> text);
        int n = 0;
        for (Map.Entry<Key, Flow> e : flows.entrySet()) {
            Flow m = modified(e.getValue(), selected, actions, text, resetCounts, newCookie);
            if (m != null) { e.setValue(m); n++; }
        }
        return n + modifyDuplicates(null, selected, actions, text, resetCounts, newCookie);
    }

    /** old with new actions if selected (recorded in {@link #replaced}), else null. */
    private Flow modified(Flow old, Predicate<Flow> selected, List<Action> actions, String text, boolean resetCounts, long newCookie) {
        if (old == null || !selected.test(old)) return null;
        Flow m = old.modified(actions, text, resetCounts, newCookie == FlowMod.NO_COOKIE ? old.cookie : newCookie);
        replaced.add(new Flow[] {old, m});
        return m;
    }

    /** Modifies the selected duplicates (only those of key k, unless null); how many. */
    private int modifyDuplicates(Key k, Predicate<Flow> selected, List<Action> actions, String text, boolean resetCounts, long newCookie) {
        int n = 0;
        for (int i = 0; i < duplicates.size(); i++) {
            if (k != null && !Key.of(duplicates.get(i)).equals(k)) continue;
            Flow m = modified(duplicates.get(i), selected, actions, text, resetCounts, newCookie);
            if (m != null) { duplicates.set(i, m); n++; }
        }
        return n;
    }

    /**
     * This copy as a strict flow_mod of one table sees it: only the flows with that table, priority and match (what
     * a strict selection can select), found by key, so a bundle of strict deletes and modifies (ovs-ofctl
     * replace-flows, OVN's incremental updates) does not walk the whole table for each.
     */
    OfSwitch exactly(int table, int priority, Match match) {
        Key k = new Key(table, priority, match);
        StagedSwitch st = this;
        return new OfSwitch() {
            @Override public String name() { return st.name(); }
            @Override public List<PortInfo> ports() { return st.ports(); }

            @Override
            public List<Flow> flows() {
                List<Flow> out = new ArrayList<>(1);
                Flow f = st.flows.get(k);
                if (f != null) out.add(f);
                for (Flow d : duplicates) if (Key.of(d).equals(k)) out.add(d);
                return out;
            }

            @Override public void addFlows(List<Flow> fs, boolean resetCounts) { st.addFlows(fs, resetCounts); }

            @Override
            public int deleteFlows(Predicate<Flow> selected) {
                int n = 0;
                Flow f = st.flows.get(k);
                if (f != null && selected.test(f)) { st.flows.remove(k); n++; }
                int before = duplicates.size();
                duplicates.removeIf(d -> Key.of(d).equals(k) && selected.test(d));
                return n + before - duplicates.size();
            }

            @Override
            public int modifyFlows(Predicate<Flow> selected, List<Action> actions, boolean resetCounts, long newCookie) {
                String text = "actions=" + io.xvio.datapath.FlowFormat.actions(actions);
                check(actions, () -> text);
                int n = 0;
                Flow m = modified(st.flows.get(k), selected, actions, text, resetCounts, newCookie);
                if (m != null) { st.flows.put(k, m); n++; }     // an existing key keeps its place
                return n + modifyDuplicates(k, selected, actions, text, resetCounts, newCookie);
            }

            @Override public List<Group> groups() { return st.groups(); }
            @Override public List<io.xvio.datapath.meter.LiveMeter> meters() { return st.meters(); }
            @Override public <T> T change(Supplier<T> body) { return body.get(); }
            @Override public <T> T read(Supplier<T> body) { return body.get(); }
        };
    }

    /** The bridge's rule for a flow's actions: the groups and meters they name exist. */
    private void check(List<Action> actions, Supplier<String> text) {
        for (long g : ActionOutputs.groups(actions))           // inside clone(...) too, as OVS's flattened check
            if (!groups.containsKey(g))
                throw OfError.BAD_OUT_GROUP.fail("\"" + text.get() + "\" names group " + g + ", which does not exist");
        checkMeters(actions, text);
    }

    private void checkMeters(List<Action> actions, Supplier<String> text) {
        for (long m : ActionOutputs.meters(actions))
            if (!meterIds.contains(m)) throw OfError.INVALID_METER.fail("\"" + text.get() + "\" names meter " + m + ", which does not exist");
    }

    @Override public List<Group> groups() { return List.copyOf(groups.values()); }

    /** OfGroups checked the change against the staged groups before this. */
    @Override
    public void putGroup(Group g, boolean modify) {
        Group was = groups.get(g.id);
        groups.put(g.id, modify && was != null ? g.modifying(was) : g);
    }

    @Override
    public int deleteGroups(Set<Long> ids) {
        int before = groups.size();
        if (ids == null) groups.clear();
        else groups.keySet().removeAll(ids);
        Predicate<Flow> orphan = f -> {
            for (long g : ActionOutputs.groups(f.actions)) if (!groups.containsKey(g)) return true;
            return false;
        };
        flows.values().removeIf(orphan);
        duplicates.removeIf(orphan);
        return before - groups.size();
    }

    @Override public List<io.xvio.datapath.meter.LiveMeter> meters() { return bridge.meters(); }

    /** The staged groups, by id. */
    Map<Long, Group> groupMap() { return groups; }

    @Override public <T> T change(Supplier<T> body) { return body.get(); }
    @Override public <T> T read(Supplier<T> body) { return body.get(); }
}
