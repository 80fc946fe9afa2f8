package io.xvio.pmd;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.port.Port;

/**
 * One receive queue a PMD thread polls. A bridge queue carries what it needs to forward: the bridge datapath, this
 * port's index on the bridge and the bridge's ports by index (to transmit). A relay direction has no datapath: every
 * frame goes to {@code relayTo} unclassified ({@code bridgePorts} is just that port). {@code pin} is the PMD thread
 * index the queue must stay on (-1: the balancer places it); {@code load} is the queue's cost, kept by {@link PmdSet}
 * across plans (null until the set assigns the queue). {@code owner} names the bridge or relay (for show commands).
 */
public record RxQueue(Port port, int queue, BridgeDatapath datapath, int portIndex, Port[] bridgePorts, Port relayTo,
                      int pin, String owner, QueueLoad load) {
    public RxQueue(Port port, int queue, BridgeDatapath datapath, int portIndex, Port[] bridgePorts) {
        this(port, queue, datapath, portIndex, bridgePorts, null, -1, datapath.name(), null);
    }

    /** A relay direction's queue: frames from port's queue go to dst. */
    public static RxQueue relay(Port port, int queue, Port dst, int pin, String owner) {
        return new RxQueue(port, queue, null, 0, new Port[] {dst}, dst, pin, owner, null);
    }

    public boolean isRelay() { return relayTo != null; }

    RxQueue withLoad(QueueLoad l) { return new RxQueue(port, queue, datapath, portIndex, bridgePorts, relayTo, pin, owner, l); }

    /** Same port and queue (the record is rebuilt on every plan). */
    boolean sameQueue(RxQueue o) { return port == o.port && queue == o.queue; }

    @Override
    public String toString() { return port.name() + "/rxq" + queue; }
}
