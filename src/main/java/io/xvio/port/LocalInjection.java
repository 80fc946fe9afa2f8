package io.xvio.port;

import io.xvio.datapath.tunnel.TooBigAnswers;
import io.xvio.packet.PacketBatch;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Frames that enter an underlay bridge as if its LOCAL port had sent them: the control thread's ARP requests and
 * neighbour solicitations for next hops ({@link #send}), and the ICMP answers of the underlay's tunnel ports to frames
 * too big for them ({@link TooBigAnswers}). The LOCAL port's receive ({@link EndpointPort}, or the tap of a bridge
 * whose endpoint the kernel holds) takes them first ({@link #drain}) on the PMD thread that polls it.
 */
public final class LocalInjection {
    private static final int MAX_QUEUED = 256;

    private final ConcurrentLinkedQueue<byte[]> outbox = new ConcurrentLinkedQueue<>();
    private final TooBigAnswers answers = new TooBigAnswers(PortCounters.MAX_THREADS);

    /** Where the underlay's tunnel ports put their ICMP answers to too-big frames. */
    public TooBigAnswers answers() { return answers; }

    /** Control thread: queues frame to enter the bridge from the LOCAL port; false if too many wait already. */
    public boolean send(byte[] frame) {
        if (outbox.size() >= MAX_QUEUED) return false;
        return outbox.offer(frame);
    }

    /** PMD thread: the waiting frames into b from slot 0 (at most a burst); sets b.count and returns it. */
    public int drain(PacketBatch b) {
        int n = answers.drain(b);
        if (outbox.isEmpty()) return n;
        byte[] f;
        while (n < PacketBatch.BURST && (f = outbox.poll()) != null) {   // control-plane frames: rare, may allocate
            int len = Math.min(f.length, PacketBatch.MAX_FRAME);
            MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[n], len);
            b.len[n++] = len;
        }
        b.count = n;
        return n;
    }
}
