package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;
import io.xvio.packet.VnetHeader;

import static io.xvio.port.PortCounters.Counter.*;

/**
 * What a NIC would do for a port whose receiver cannot take a frame's offload state: between the datapath and
 * {@link Port#transmit}, a GSO frame the port does not take ({@link Port#txOffloads}) is cut into MTU-sized
 * segments with full checksums ({@link Segmentation}), a partial checksum it does not take is completed in place
 * ({@link VnetHeader#complete}), and a partial checksum it does take gets its pseudo-header sum rewritten from the
 * headers as they left the datapath ({@link VnetHeader#fixPseudo}, see there why). Frames keep their order.
 *
 * <p>One instance per PMD thread (it holds a batch of segment slots). A burst without offload state
 * ({@link PacketBatch#offloads} clear: every burst of a port or guest without offloads) goes straight to the
 * port: one field read, the small-frame path is unchanged. No allocation per packet.
 */
public final class SoftwareOffload {
    private final PacketBatch segments = new PacketBatch();
    private final Segmentation seg = new Segmentation();
    private final int[] pass = new int[PacketBatch.SLOTS];
    private final int[] segWhich = new int[PacketBatch.BURST];

    /** Whether a port with offload bits caps takes GSO frames of gsoType whole. */
    public static boolean takesWhole(int caps, int gsoType) {
        int type = gsoType & ~Segmentation.GSO_ECN;
        int need = (type == Segmentation.GSO_TCPV4 ? Port.TX_TSO4 : type == Segmentation.GSO_TCPV6 ? Port.TX_TSO6 : 0x100)
                | ((gsoType & Segmentation.GSO_ECN) != 0 ? Port.TX_ECN : 0) | Port.TX_CSUM;
        return (caps & need) == need;
    }

    /** Sends packets which[0..n) of b to port, as {@link Port#transmit} would, doing what the port cannot. */
    public void transmit(Port port, int thread, PacketBatch b, int[] which, int n) {
        if (!b.offloads) {
            port.transmit(thread, b, which, n);
            return;
        }
        int caps = port.txOffloads();
        PortCounters c = port.counters();
        int np = 0, whole = 0, completed = 0;
        for (int k = 0; k < n; k++) {
            int i = which[k];
            if (!b.hasOffload(i)) { pass[np++] = i; continue; }
            int gso = b.gsoType[i];
            if (gso != Segmentation.GSO_NONE) {
                if (!takesWhole(caps, gso)) {
                    if (np > 0) { port.transmit(thread, b, pass, np); np = 0; }
                    segment(port, thread, b, i, c);
                    continue;
                }
                whole++;
            }
            if ((b.vflags[i] & VnetHeader.F_NEEDS_CSUM) != 0) {
                if ((caps & Port.TX_CSUM) != 0) {
                    VnetHeader.fixPseudo(b.data, b.off[i], b.len[i], b.csumAt[i], b.csumOffset[i]);
                } else {
                    if (VnetHeader.complete(b.data, b.off[i], b.len[i], b.csumAt[i], b.csumOffset[i])) completed++;
                    // complete now: no later port (an uplink behind a tunnel port, which gets this very slot after
                    // encapsulation) may see a partial checksum here and have the kernel "complete" it again
                    b.vflags[i] &= ~VnetHeader.F_NEEDS_CSUM;
                }
            }
            pass[np++] = i;
        }
        if (np > 0) port.transmit(thread, b, pass, np);
        if (whole > 0) c.add(thread, TX_GSO_WHOLE, whole);
        if (completed > 0) c.add(thread, TX_CSUM_COMPLETED, completed);
    }

    /** Cuts GSO packet i of b into segments and sends them a burst at a time. */
    private void segment(Port port, int thread, PacketBatch b, int i, PortCounters c) {
        int frame = b.off[i];
        int why = seg.start(b.data, frame, b.len[i], 0, b.vflags[i], b.gsoType[i], b.gsoSize[i], 0,
                b.csumAt[i] - frame, b.csumOffset[i], PacketBatch.MAX_FRAME);
        if (why != Segmentation.OK) {
            c.add(thread, TX_DROP_GSO, 1);
            return;
        }
        long made = 0;
        PacketBatch s = segments;
        while (seg.active()) {
            int m = seg.emit(s.data, s.off, s.len, 0, PacketBatch.BURST);
            for (int k = 0; k < m; k++) {
                segWhich[k] = k;
                s.keys[k].copyFrom(b.keys[i]);   // a tunnel port reads what the flow set (tun_id, tun_dst, tun_metadata)
            }
            port.transmit(thread, s, segWhich, m);
            made += m;
        }
        c.add(thread, TX_GSO_SEGMENTED, 1);
        c.add(thread, TX_GSO_SEGMENTS, made);
    }
}
