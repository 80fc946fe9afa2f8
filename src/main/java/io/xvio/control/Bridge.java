package io.xvio.control;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.Flow;
import io.xvio.port.Port;

import java.util.ArrayList;
import java.util.List;

/** A bridge as the control plane sees it: its ports (index = position) and its datapath. */
final class Bridge {
    final String name;
    final BridgeDatapath datapath;
    final List<Port> ports = new ArrayList<>();

    Bridge(String name) {
        this.name = name;
        this.datapath = new BridgeDatapath(name);
    }

    Port[] portArray() { return ports.toArray(Port[]::new); }

    int[] ofports() { return ports.stream().mapToInt(Port::ofport).toArray(); }

    void installFlows(List<Flow> flows) { datapath.install(ofports(), flows); }

    String portName(int index) { return index >= 0 && index < ports.size() ? ports.get(index).name() : "#" + index; }
}
