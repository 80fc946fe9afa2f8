package io.xvio.pmd;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.port.Port;

/**
 * One receive queue a PMD thread polls, with what it needs to forward: the bridge datapath, this port's
 * index on the bridge and the bridge's ports by index (to transmit).
 */
public record RxQueue(Port port, int queue, BridgeDatapath datapath, int portIndex, Port[] bridgePorts) {
    @Override
    public String toString() { return port.name() + "/rxq" + queue; }
}
