package io.xvio.pmd;

import io.xvio.packet.PacketBatch;
import io.xvio.port.CaptureRing;
import io.xvio.port.Mirror;
import io.xvio.port.Port;
import io.xvio.port.PortTaps;
import io.xvio.port.SoftwareOffload;

/**
 * A PMD thread's side of captures and mirrors ({@link PortTaps}): called only for a port with a tap on (the thread
 * checks the port's tap once per burst), it copies the burst's frames into the capture rings and sends the selected
 * ones to the mirrors' outputs. One per PMD thread; allocates nothing.
 */
final class Tapping {
    private final int thread;
    private final int[] sel = new int[PacketBatch.SLOTS];
    private final int[] all = new int[PacketBatch.SLOTS];

    Tapping(int thread) {
        this.thread = thread;
        for (int i = 0; i < all.length; i++) all[i] = i;
    }

    /** Frames 0..n of b came in on port (burst serial); returns how many go on (0: the port is a mirror output). */
    int rx(PortTaps.Tap t, Port port, PacketBatch b, int n, long serial, SoftwareOffload offload) {
        capture(t.rings(), b, all, n);
        for (Mirror m : t.mirrors()) {
            // a tunnel port reads the key (VNI, remote, options), which the pipeline has not extracted yet: the slots
            // hold an earlier packet's; a frame just received has no tunnel or register fields
            if (m.output instanceof io.xvio.port.TunnelPort tp && tp.readsFlowKey()) for (int i = 0; i < n; i++) b.keys[i].clearExtended();
            mirror(m, port, b, all, n, serial, 0, offload, t.accessVlan());
        }
        return t.reserved() ? 0 : n;
    }

    /**
     * Frames which[0..n) of b (burst serial, sent in its chunk-th part) are about to leave by port; false if the port
     * takes no frames but mirrored ones.
     */
    boolean tx(PortTaps.Tap t, Port port, PacketBatch b, int[] which, int n, long serial, int chunk, SoftwareOffload offload) {
        if (t.reserved()) return false;          // a mirror output sends nothing else (and so nothing else is captured)
        capture(t.rings(), b, which, n);
        for (Mirror m : t.mirrors()) mirror(m, port, b, which, n, serial, chunk, offload, t.accessVlan());
        return true;
    }

    private void capture(CaptureRing[] rings, PacketBatch b, int[] which, int n) {
        if (rings.length == 0) return;
        long now = System.nanoTime();
        for (CaptureRing r : rings) {
            for (int k = 0; k < n; k++) {
                int i = which[k];
                r.offer(thread, b.data, b.off[i], b.len[i], now);
            }
        }
    }

    private void mirror(Mirror m, Port port, PacketBatch b, int[] which, int n, long serial, int chunk, SoftwareOffload offload, int accessVlan) {
        Port out = m.output;
        if (out == port) return;
        int k = 0;
        for (int j = 0; j < n; j++) {
            int i = which[j];
            if (m.selects(b, i, accessVlan) && m.claim(thread, serial, chunk, i)) sel[k++] = i;
        }
        if (k == 0) return;
        m.count(thread, k);
        offload.transmit(out, thread, b, sel, k);
        // a frame captured on the mirror output is one it sends
        PortTaps.Tap ot = out.counters().taps.tx;
        if (ot != null) capture(ot.rings(), b, sel, k);
    }
}
