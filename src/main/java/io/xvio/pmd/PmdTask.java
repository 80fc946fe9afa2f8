package io.xvio.pmd;

import io.xvio.datapath.Outputs;
import io.xvio.packet.PacketBatch;
import io.xvio.port.SoftwareOffload;

/**
 * Work the control plane hands to a PMD thread because only a PMD thread may do it: transmitting on ports, whose
 * transmit queues belong to the PMD threads (an OpenFlow packet-out). The thread runs it between two loops with its
 * own batch (empty), outputs (empty) and offload stage, and clears both afterwards. It must not block.
 */
public interface PmdTask {
    void run(int thread, PacketBatch batch, Outputs outputs, SoftwareOffload offload);
}
