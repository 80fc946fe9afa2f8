package io.xvio.control;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowFormat;
import io.xvio.openflow.OfEndpoint;
import io.xvio.openflow.OfSwitch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The OpenFlow endpoints of the daemon's bridges (one BRIDGE.mgmt socket each), wired to the same bridge
 * operations as the CLI's flow commands and run under the same {@link CommandLock}, so YAML, CLI and OpenFlow
 * flows live in one table set.
 */
final class OpenFlowBridges implements AutoCloseable {
    private final List<OfEndpoint> endpoints = new ArrayList<>();

    static OpenFlowBridges start(Collection<Bridge> bridges, String controlPath, CommandLock lock, DaemonStatus status) {
        OpenFlowBridges o = new OpenFlowBridges();
        try {
            for (Bridge br : bridges) o.endpoints.add(OfEndpoint.start(controlPath, new BridgeSwitch(br, lock, status)));
        } catch (IllegalStateException e) {
            o.close();
            throw new ConfigException(e.getMessage());
        }
        return o;
    }

    @Override
    public void close() {
        for (OfEndpoint e : endpoints) e.close();
        endpoints.clear();
    }

    /** One bridge as an OpenFlow connection sees it. */
    private record BridgeSwitch(Bridge br, CommandLock lock, DaemonStatus status) implements OfSwitch {
        @Override public String name() { return br.name; }

        @Override
        public List<PortInfo> ports() {
            List<PortInfo> out = new ArrayList<>();
            for (Status.PortCount p : status.portCounts(br, null).ports())
                out.add(new PortInfo(p.ofport(), p.name(), p.rxPackets(), p.rxBytes(), p.rxDropped(), p.txPackets(), p.txBytes(), p.txDropped()));
            out.sort(Comparator.comparingInt(PortInfo::ofport));
            return out;
        }

        @Override public List<Flow> flows() { return br.flows(); }
        @Override public void addFlows(List<Flow> flows) { br.addFlows(flows); }
        @Override public int deleteFlows(Predicate<Flow> selected) { return br.delFlows(selected); }

        @Override
        public int modifyFlows(Predicate<Flow> selected, List<Action> actions, boolean resetCounts) {
            return br.modFlows(selected, actions, "actions=" + FlowFormat.actions(actions), resetCounts);
        }

        @Override public <T> T change(Supplier<T> body) { return lock.run(true, body); }
        @Override public <T> T read(Supplier<T> body) { return lock.run(false, body); }
    }
}
