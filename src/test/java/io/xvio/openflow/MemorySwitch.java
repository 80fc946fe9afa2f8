package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** An in-memory bridge for codec tests: the same add/replace, delete and modify rules as control.Bridge. */
final class MemorySwitch implements OfSwitch {
    final List<Flow> flows = new ArrayList<>();
    final List<PortInfo> ports = new ArrayList<>(List.of(new PortInfo(1, "p1", 10, 1000, 0, 20, 2000, 1),
            new PortInfo(2, "p2", 0, 0, 0, 0, 0, 0)));

    /** The Geneve option map NXT_TLV_TABLE_MOD changes (as control.TunnelTlvMaps, without the in-use check). */
    io.xvio.datapath.tunnel.TunnelTlvMap tlv = io.xvio.datapath.tunnel.TunnelTlvMap.EMPTY;
    final List<Integer> flushedZones = new ArrayList<>();

    @Override public synchronized List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> tlvMappings() { return tlv.mappings(); }

    @Override
    public synchronized void tlvTableMod(int command, List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> mappings) {
        try {
            tlv = switch (command) {
                case TlvTable.ADD -> tlv.add(mappings);
                case TlvTable.DELETE -> tlv.delete(mappings, n -> false);
                default -> tlv.clear(n -> false);
            };
        } catch (io.xvio.datapath.tunnel.TunnelTlvMap.TlvMapException e) {
            throw (e.code.equals("NXTTMFC_DUP_ENTRY") ? OfError.TLV_DUP_ENTRY : e.code.equals("NXTTMFC_TABLE_FULL") ? OfError.TLV_TABLE_FULL
                    : OfError.TLV_ALREADY_MAPPED).fail(e.getMessage());
        }
    }

    @Override public synchronized void ctFlushZone(int zone) { flushedZones.add(zone); }

    @Override public String name() { return "br0"; }

    /** The packet-in rings the bridge's OpenFlow thread drains (a test's BridgeDatapath's), or null. */
    io.xvio.datapath.PacketIns packetIns;

    @Override public io.xvio.datapath.PacketIns packetIns() { return packetIns; }

    /** The datapath whose table misses a connection may ask for (a test's BridgeDatapath), or null. */
    io.xvio.datapath.BridgeDatapath datapath;

    @Override public void setPacketInOnMiss(boolean on) { if (datapath != null) datapath.setPacketInOnMiss(on); }
    @Override public List<PortInfo> ports() { return ports; }
    @Override public synchronized List<Flow> flows() { return List.copyOf(flows); }

    @Override
    public synchronized void addFlows(List<Flow> fs, boolean resetCounts) {
        for (Flow f : fs)              // control.Bridge's rule: a flow may name only groups that exist
            for (Action a : f.actions)
                if (a instanceof GroupAction g && !groups.containsKey(g.id())) throw OfError.BAD_OUT_GROUP.fail("group " + g.id() + " does not exist");
        for (Flow f : fs) {
            for (Flow o : flows) if (o.table == f.table && o.priority == f.priority && o.match.equals(f.match)) f.replacing(o, resetCounts);
            flows.removeIf(o -> o.table == f.table && o.priority == f.priority && o.match.equals(f.match));
            flows.add(f);
        }
    }

    @Override
    public synchronized int deleteFlows(Predicate<Flow> selected) {
        int n = flows.size();
        flows.removeIf(selected);
        return n - flows.size();
    }

    @Override
    public synchronized int modifyFlows(Predicate<Flow> selected, List<Action> actions, boolean resetCounts, long newCookie) {
        int n = 0;
        for (int i = 0; i < flows.size(); i++) {
            Flow old = flows.get(i);
            if (selected.test(old)) { flows.set(i, old.modified(actions, "", resetCounts, newCookie == FlowMod.NO_COOKIE ? old.cookie : newCookie)); n++; }
        }
        return n;
    }

    /** The fragment handling SET_CONFIG sets. */
    volatile io.xvio.datapath.FragMode frag = io.xvio.datapath.FragMode.NORMAL;

    @Override public io.xvio.datapath.FragMode fragMode() { return frag; }

    @Override public boolean setFragMode(io.xvio.datapath.FragMode m) { frag = m; return true; }

    /** Fail-open changes, in order. */
    final List<Boolean> failOpen = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override public void setFailOpen(boolean on) { failOpen.add(on); }

    /** The packet-outs run, in order. */
    final List<PacketOut> packetOuts = new ArrayList<>();

    @Override
    public synchronized void packetOut(int inPort, io.xvio.datapath.Match metadata, byte[] frame, List<Action> actions) {
        packetOuts.add(new PacketOut(inPort, actions, frame, metadata));
        calls.add("packet_out");
    }

    /** packet_out and settle calls, in order (what a connection waits for before which message). */
    final List<String> calls = new ArrayList<>();

    @Override public synchronized void settle() { calls.add("settle"); }

    /** An NXT_RESUME this switch ran (only with resumes set; else it refuses as a switch without resume). */
    record Resumed(int inPort, byte[] frame, io.xvio.datapath.Match metadata, long[] stack, List<io.xvio.datapath.Paused.Frame> frames) {}
    final List<Resumed> resumed = new ArrayList<>();
    boolean resumes;

    @Override
    public synchronized void resume(int inPort, byte[] frame, io.xvio.datapath.Match metadata, long[] stack, List<io.xvio.datapath.Paused.Frame> frames) {
        if (!resumes) OfSwitch.super.resume(inPort, frame, metadata, stack, frames);
        resumed.add(new Resumed(inPort, frame, metadata, stack, frames));
    }

    /** Ports whose link is down. */
    final java.util.Set<Integer> down = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override public boolean linkUp(int ofport) { return !down.contains(ofport); }

    /** Groups by id, with control.Bridge's rule that deleting a group deletes the flows that name it. */
    final java.util.TreeMap<Long, io.xvio.datapath.Group> groups = new java.util.TreeMap<>();

    @Override public synchronized List<io.xvio.datapath.Group> groups() { return List.copyOf(groups.values()); }

    @Override
    public synchronized void putGroup(io.xvio.datapath.Group g, boolean modify) {
        if (modify != groups.containsKey(g.id)) throw new IllegalStateException("group " + g.id + (modify ? " missing" : " exists"));
        groups.put(g.id, g);
    }

    @Override
    public synchronized int deleteGroups(java.util.Set<Long> ids) {
        int n = groups.size();
        if (ids == null) groups.clear();
        else groups.keySet().removeAll(ids);
        flows.removeIf(f -> f.actions.stream().anyMatch(a -> a instanceof GroupAction g && !groups.containsKey(g.id())));
        return n - groups.size();
    }

    /** The meters, with the datapath's own table. */
    final io.xvio.datapath.meter.MeterTable meters = new io.xvio.datapath.meter.MeterTable();

    @Override public List<io.xvio.datapath.meter.LiveMeter> meters() { return meters.list(); }

    @Override
    public synchronized void putMeter(io.xvio.datapath.meter.MeterConfig c, boolean modify) { meters.put(c, modify, System.nanoTime()); }

    @Override
    public synchronized int deleteMeters(long id) {
        flows.removeIf(f -> f.actions.stream().anyMatch(a -> a instanceof Meter m && (id == 0xffffffffL || m.id() == id)));
        return meters.delete(id);
    }

    /** How many times the tables were replaced as a whole (bundle commits), and the other changes' count. */
    int replacements;

    @Override
    public synchronized void replaceTables(List<Flow> fs, java.util.Map<Long, io.xvio.datapath.Group> gs) {
        for (Flow f : fs)
            for (Action a : f.actions)
                if (a instanceof GroupAction g && !gs.containsKey(g.id())) throw new IllegalStateException("flow names missing group " + g.id());
        flows.clear();
        flows.addAll(fs);
        groups.clear();
        groups.putAll(gs);
        replacements++;
    }

    @Override public synchronized <T> T change(Supplier<T> body) { return body.get(); }
    @Override public synchronized <T> T read(Supplier<T> body) { return body.get(); }
}
