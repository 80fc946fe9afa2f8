package io.xvio.port;

import io.xvio.packet.PacketBatch;

/**
 * Port policing on a PMD thread: ingress policing of a received burst before the bridge's pipeline sees it, and
 * the egress policer at transmit (OVS's ingress_policing_rate/burst and QoS type egress-policer). A port's policers
 * are in its {@link PortCounters#policing} (so every kind of port has them), set by the control plane at any time;
 * a port without one costs a field read per burst. Drops are counted in the port's counters
 * ({@code rx_dropped(policing)}, {@code tx_dropped(policing)}). One instance per PMD thread (a scratch list); no
 * allocation.
 */
public final class Policing {
    private final int[] kept = new int[PacketBatch.SLOTS];

    /**
     * Polices packets 0..n of b, received on port: the ones its ingress policer drops are counted and removed, the
     * rest moved down in order. Returns how many are left (also b.count).
     */
    public int ingress(Port port, PacketBatch b, int n, int thread, long now) {
        PortCounters c = port.counters();
        Policer p = c.policing.ingress;
        if (p == null) return n;
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (!p.admit(b.len[i], now)) continue;
            if (k != i) move(b, i, k);
            k++;
        }
        if (k < n) {
            c.add(thread, PortCounters.Counter.RX_DROP_POLICED, n - k);
            // as VhostUserPort.readHeaders: the indices now unused point at their own slots again
            for (int i = k; i < n; i++) b.off[i] = PacketBatch.frameStart(i);
        }
        b.count = k;
        return k;
    }

    /** Sends packets which[0..n) of b to port through off (the egress policer first, if the port has one). */
    public void transmit(SoftwareOffload off, Port port, int thread, PacketBatch b, int[] which, int n, long now) {
        PortCounters c = port.counters();
        Policer p = c.policing.egress;
        if (p == null) {
            off.transmit(port, thread, b, which, n);
            return;
        }
        int k = 0;
        for (int x = 0; x < n; x++) if (p.admit(b.len[which[x]], now)) kept[k++] = which[x];
        if (k < n) c.add(thread, PortCounters.Counter.TX_DROP_POLICED, n - k);
        if (k > 0) off.transmit(port, thread, b, kept, k);
    }

    /** Packet i becomes packet k (k < i; packet k was dropped): its frame stays where it is. */
    private static void move(PacketBatch b, int i, int k) {
        b.off[k] = b.off[i];
        b.len[k] = b.len[i];
        if (b.offloads) {
            b.vflags[k] = b.vflags[i];
            b.gsoType[k] = b.gsoType[i];
            b.gsoSize[k] = b.gsoSize[i];
            b.csumOffset[k] = b.csumOffset[i];
            b.csumAt[k] = b.csumAt[i];
            b.vflags[i] = 0;
            b.gsoType[i] = 0;
        }
    }
}
