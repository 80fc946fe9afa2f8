package io.xvio.control;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.Outputs;
import io.xvio.datapath.action.Action;
import io.xvio.packet.PacketBatch;
import io.xvio.pmd.PmdTask;
import io.xvio.port.Port;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * An OpenFlow packet-out, run by a PMD thread: only PMD threads transmit on ports (their transmit rings and queues
 * are theirs). The thread puts the frame in its batch, runs the actions through the bridge's datapath
 * ({@link BridgeDatapath#packetOut}) and transmits what they output, as it does a received burst. The OpenFlow
 * connection waits for it before its next other message ({@link PacketOutWindow}), so a barrier after a packet-out
 * is answered after the packet left.
 */
final class PacketOutTask implements PmdTask {
    /** What runs the packet through the datapath (a packet-out, or an NXT_RESUME's continuation). */
    interface Body { void run(PacketBatch batch, Outputs outputs, int thread); }

    private final Port[] ports;
    private final Body body;
    private volatile boolean done;
    private volatile String failure;

    PacketOutTask(BridgeDatapath datapath, Port[] ports, int inPort, byte[] frame, List<? extends Action> actions) {
        this(datapath, ports, inPort, null, frame, List.copyOf(actions));
    }

    /** metadata: an OpenFlow 1.5 packet-out's pipeline fields (null: none). */
    PacketOutTask(BridgeDatapath datapath, Port[] ports, int inPort, io.xvio.datapath.Match metadata, byte[] frame, List<Action> actions) {
        this(ports, (b, out, thread) -> datapath.packetOut(inPort, metadata, frame, actions, b, out, thread, System.nanoTime()));
    }

    PacketOutTask(Port[] ports, Body body) {
        this.ports = ports;
        this.body = body;
    }

    @Override
    public void run(int thread, PacketBatch batch, Outputs outputs, PmdTask.Sender sender) {
        try {
            body.run(batch, outputs, thread);
            for (int k = 0; k < outputs.touchedCount(); k++) {
                int p = outputs.touchedPort(k);
                if (p < ports.length) sender.send(ports[p], batch, outputs.packetsFor(p), outputs.countFor(p));
            }
        } catch (RuntimeException e) {
            failure = e.toString();
            throw e;
        } finally {
            done = true;
        }
    }

    boolean done() { return done; }

    /** Waits until a PMD thread ran it, at most timeoutNanos; null when it ran, else why not. */
    String await(long timeoutNanos) {
        long end = System.nanoTime() + timeoutNanos;
        while (!done) {
            if (System.nanoTime() - end > 0) return "no PMD thread ran it within " + timeoutNanos / 1_000_000 + " ms";
            LockSupport.parkNanos(20_000);
        }
        return failure;
    }
}
