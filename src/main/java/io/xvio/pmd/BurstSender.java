package io.xvio.pmd;

import io.xvio.datapath.Outputs;
import io.xvio.packet.PacketBatch;
import io.xvio.port.Policing;
import io.xvio.port.Port;
import io.xvio.port.PortTaps;
import io.xvio.port.SoftwareOffload;

/**
 * How a PMD thread sends what the datapath queued for a burst: to each touched port of the receiving queue's bridge,
 * through its captures and mirrors, then its egress policer and software offloads. The datapath calls it between
 * packets too ({@link Outputs#sendChunk}) when a burst needs more copies than the batch has slots. One per thread,
 * pointed at the queue being processed ({@link #start}); allocates nothing.
 */
final class BurstSender implements Outputs.Sender {
    private final int thread;
    private final Tapping tapping;
    private final Policing policing;
    private final SoftwareOffload offload;
    private Port[] ports = new Port[0];
    private long serial, now;

    BurstSender(int thread, Tapping tapping, Policing policing, SoftwareOffload offload) {
        this.thread = thread;
        this.tapping = tapping;
        this.policing = policing;
        this.offload = offload;
    }

    /** The burst of the given serial (for the mirrors), received at now, leaves by ports (indexed as the outputs). */
    void start(Port[] ports, long serial, long now) {
        this.ports = ports;
        this.serial = serial;
        this.now = now;
    }

    @Override
    public void send(PacketBatch b, Outputs out, int chunk) {
        Port[] ps = ports;
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            if (p >= ps.length) continue;
            PortTaps.Tap tap = ps[p].counters().taps.tx;
            if (tap == null || tapping.tx(tap, ps[p], b, out.packetsFor(p), out.countFor(p), serial, chunk, offload))
                policing.transmit(offload, ps[p], thread, b, out.packetsFor(p), out.countFor(p), now);
        }
    }
}
