package io.xvio.pmd;

import io.xvio.datapath.Outputs;
import io.xvio.packet.PacketBatch;
import io.xvio.port.Port;

/**
 * Work the control plane hands to a PMD thread because only a PMD thread may do it: transmitting on ports, whose
 * transmit queues belong to the PMD threads (an OpenFlow packet-out, an NXT_RESUME). The thread runs it between two
 * loops with its own batch (empty) and outputs (empty), and clears both afterwards. It must not block.
 */
public interface PmdTask {
    void run(int thread, PacketBatch batch, Outputs outputs, Sender sender);

    /**
     * How a task's frames leave: frames which[0..n) of b by port, through the thread's captures, mirrors, egress
     * policer and software offloads, as the thread's own bursts leave (OVS mirrors a packet-out's outputs, and
     * tcpdump on the port sees them).
     */
    interface Sender {
        void send(Port port, PacketBatch b, int[] which, int n);
    }
}
