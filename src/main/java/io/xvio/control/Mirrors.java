package io.xvio.control;

import io.xvio.port.Mirror;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The bridges' port mirrors ({@link MirrorConfig}), kept by the daemon under its lock. A mirror is a {@link Mirror}
 * registered in the selected ports' taps (receive side for select-src-port, transmit side for select-dst-port, both
 * for every port but the output with select-all) and marks its output port reserved. When the bridge's ports change
 * every mirror of it is registered again, so a select-all mirror takes new ports and a removed port leaves no trace;
 * a mirror whose output port is gone is kept but inactive (as OVS).
 */
final class Mirrors {
    private static final Logger LOG = Logger.getLogger("xvio.mirror");

    /** One mirror as it runs: its settings, the PMD side, and where it is registered. */
    private static final class Active {
        final MirrorConfig config;
        Mirror mirror;
        final List<Port> attached = new ArrayList<>();
        Port output;

        Active(MirrorConfig config) { this.config = config; }
    }

    /** Bridge name to its mirrors by name, in the order they were made. */
    private final Map<String, Map<String, Active>> byBridge = new LinkedHashMap<>();

    static Set<String> portNames(Bridge br) {
        Set<String> s = new HashSet<>();
        for (Port p : br.ports) s.add(p.name());
        return s;
    }

    void add(Bridge br, MirrorConfig mc) {
        Map<String, Active> ms = byBridge.computeIfAbsent(br.name, k -> new LinkedHashMap<>());
        if (ms.containsKey(mc.name())) throw new ControlException("bridge " + br.name + " already has a mirror " + mc.name());
        for (Active a : ms.values()) {
            if (mc.selectSrc().contains(a.config.outputPort()) || mc.selectDst().contains(a.config.outputPort()))
                throw new ControlException("port " + a.config.outputPort() + " is mirror " + a.config.name() + "'s output: it cannot be selected");
            if (a.config.selectSrc().contains(mc.outputPort()) || a.config.selectDst().contains(mc.outputPort()))
                throw new ControlException("port " + mc.outputPort() + " is selected by mirror " + a.config.name() + ": it cannot be an output");
        }
        Active a = new Active(mc);
        ms.put(mc.name(), a);
        br.mirroredToKeyed(keyedTargets(br));
        attach(br, a);
        LOG.info("bridge " + br.name + ": mirror " + mc.name() + " added: " + describe(mc));
    }

    void remove(Bridge br, String name) {
        Map<String, Active> ms = byBridge.get(br.name);
        Active a = ms == null ? null : ms.remove(name);
        if (a == null) throw new ControlException("bridge " + br.name + " has no mirror " + name);
        detach(a);
        br.mirroredToKeyed(keyedTargets(br));
        LOG.info("bridge " + br.name + ": mirror " + name + " deleted (" + (a.mirror == null ? 0 : a.mirror.mirrored()) + " frames mirrored)");
    }

    /** The bridge's ports changed: every mirror of it is registered again with the ports there are now. */
    void refresh(Bridge br) {
        for (Active a : byBridge.getOrDefault(br.name, Map.of()).values()) detach(a);
        br.mirroredToKeyed(keyedTargets(br));
        for (Active a : byBridge.getOrDefault(br.name, Map.of()).values()) attach(br, a);
    }

    /**
     * The ports of br whose transmit its mirrors copy to a tunnel port that reads the flow key (key=flow,
     * remote_ip=flow, Geneve): the datapath must extract their packets' keys (see {@link Bridge#mirroredToKeyed}).
     */
    private Set<String> keyedTargets(Bridge br) {
        Set<String> names = new HashSet<>();
        for (Active a : byBridge.getOrDefault(br.name, Map.of()).values()) {
            MirrorConfig mc = a.config;
            if (!(br.port(mc.outputPort()) instanceof io.xvio.port.TunnelPort tp) || !tp.readsFlowKey()) continue;
            if (!mc.selectAll()) names.addAll(mc.selectDst());
            else for (Port p : br.ports) if (!p.name().equals(mc.outputPort())) names.add(p.name());
        }
        return names;
    }

    /** A bridge went away with its ports. */
    void bridgeRemoved(Bridge br) {
        Map<String, Active> ms = byBridge.remove(br.name);
        if (ms != null) for (Active a : ms.values()) detach(a);
    }

    private void attach(Bridge br, Active a) {
        MirrorConfig mc = a.config;
        Port out = br.port(mc.outputPort());
        if (out == null) {
            LOG.warning("bridge " + br.name + ": mirror " + mc.name() + " is inactive: no output port " + mc.outputPort());
            return;
        }
        long before = a.mirror == null ? 0 : a.mirror.mirrored();
        Mirror same = null;          // mirrors to one output send a frame once (OVS's dup_mirrors)
        for (Active o : byBridge.getOrDefault(br.name, Map.of()).values()) if (o != a && o.output == out && o.mirror != null) same = o.mirror;
        a.mirror = new Mirror(mc.name(), out, mc.selectVlan().stream().mapToInt(Integer::intValue).toArray(), same);
        if (before > 0) a.mirror.carry(before);
        a.output = out;
        out.counters().taps.reserve(true);
        for (int i = 0; i < br.ports.size(); i++) {
            Port p = br.ports.get(i);
            if (p == out) continue;
            boolean rx = mc.selectAll() || mc.selectSrc().contains(p.name()), tx = mc.selectAll() || mc.selectDst().contains(p.name());
            if (!rx && !tx) continue;
            p.counters().taps.accessVlan(i < br.vlans.size() ? Math.max(0, br.vlans.get(i).tag()) : 0);
            p.counters().taps.addMirror(a.mirror, rx, tx);
            a.attached.add(p);
        }
    }

    private static void detach(Active a) {
        if (a.mirror != null) for (Port p : a.attached) p.counters().taps.removeMirror(a.mirror);
        a.attached.clear();
        if (a.output != null) a.output.counters().taps.reserve(false);
        a.output = null;
    }

    static String describe(MirrorConfig mc) {
        StringBuilder sb = new StringBuilder();
        if (mc.selectAll()) sb.append("select-all=true ");
        if (!mc.selectSrc().isEmpty()) sb.append("select-src-port=").append(String.join(",", mc.selectSrc())).append(' ');
        if (!mc.selectDst().isEmpty()) sb.append("select-dst-port=").append(String.join(",", mc.selectDst())).append(' ');
        if (!mc.selectVlan().isEmpty()) sb.append("select-vlan=").append(String.join(",", mc.selectVlan().stream().map(String::valueOf).toList())).append(' ');
        return sb.append("output-port=").append(mc.outputPort()).toString();
    }

    /** show-mirrors' rows: bridge, name, settings, frames mirrored, the output's transmit drops, active or why not. */
    record View(String bridge, String name, String settings, long mirrored, long outputTxDropped, String status) {}

    List<View> view(String onlyBridge) {
        List<View> out = new ArrayList<>();
        for (var be : byBridge.entrySet()) {
            if (onlyBridge != null && !onlyBridge.equals(be.getKey())) continue;
            for (Active a : be.getValue().values()) {
                long drops = 0;
                if (a.output != null) {
                    PortCounters c = a.output.counters();
                    for (PortCounters.Counter k : PortCounters.Counter.values()) if (k.label.startsWith("tx_dropped")) drops += c.get(k);
                }
                out.add(new View(be.getKey(), a.config.name(), describe(a.config), a.mirror == null ? 0 : a.mirror.mirrored(), drops,
                        a.output == null ? "inactive: no output port " + a.config.outputPort() : "active"));
            }
        }
        return out;
    }

    static String text(List<View> views) {
        if (views.isEmpty()) return "no mirrors\n";
        StringBuilder sb = new StringBuilder();
        for (View v : views)
            sb.append("bridge ").append(v.bridge()).append(" mirror ").append(v.name()).append(": ").append(v.settings()).append('\n')
              .append("  ").append(v.status()).append(", mirrored=").append(v.mirrored()).append(", output tx_dropped=").append(v.outputTxDropped()).append('\n');
        return sb.toString();
    }
}
