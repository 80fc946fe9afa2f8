package io.xvio.port;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Port policing as OVS's userspace datapath does it: ingress policing (kbps, kb; burst 0 is 8000 kb) drops what
 * exceeds the bucket before the pipeline and keeps the rest in order; the egress policer (bytes/s, bytes) at
 * transmit; both count the frame without its Ethernet header, and count their drops in the port's counters.
 */
class PolicingTest {
    /** A port that records what it was asked to send. */
    static final class Sink extends io.xvio.testing.InertPort {
        final List<Integer> sentLens = new ArrayList<>();
        Sink() { super("sink"); }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) { for (int k = 0; k < n; k++) sentLens.add(b.len[which[k]]); }
    }

    static PacketBatch burst(int... lens) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < lens.length; i++) b.len[i] = lens[i];
        b.count = lens.length;
        return b;
    }

    @Test
    void ingressPolicingDropsWhatExceedsTheBurstAndKeepsTheRestInOrder() {
        Sink p = new Sink();
        // 8 kbps, 8 kb: 1000 bytes of burst, counted without the 14-byte Ethernet header
        p.counters().policing.ingress = Policer.ingress(8, 8, 0);
        PacketBatch b = burst(414, 914, 314, 200, 114);     // 400, 900, 300, 186, 100 bytes policed
        int[] offs = b.off.clone();
        Policing pol = new Policing();
        int n = pol.ingress(p, b, 5, 0, 0);
        assertEquals(4, n);
        assertEquals(4, b.count);
        assertArrayEquals(new int[] {414, 314, 200, 114}, new int[] {b.len[0], b.len[1], b.len[2], b.len[3]}, "the 900 did not fit");
        assertArrayEquals(new int[] {offs[0], offs[2], offs[3], offs[4]}, new int[] {b.off[0], b.off[1], b.off[2], b.off[3]},
                "frames stay in their slots");
        assertEquals(1, p.counters().get(PortCounters.Counter.RX_DROP_POLICED));
        assertEquals(0, pol.ingress(p, burst(114, 114), 2, 0, 0), "14 bytes left: neither 100-byte frame fits");
        assertEquals(3, pol.ingress(p, burst(14, 14, 14), 3, 0, 0), "header-only frames cost nothing");
    }

    @Test
    void ingressBurstZeroIsOvsDefaultOf8000Kb() {
        Policer p = Policer.ingress(1000, 0, 0);
        assertEquals(1_000_000, p.burstBytes());
        assertEquals(125_000, p.bytesPerSecond());
    }

    /** OVS's columns hold up to 2^32-1 kbps and kb: the largest is a policer (its bucket 4 GB), not an exception. */
    @Test
    void theLargestRateAndBurstOvsTakesArePolicers() {
        Policer p = Policer.ingress(0xffffffffL, 0xffffffffL, 0);
        assertEquals(Policer.MAX_BURST_BYTES, p.burstBytes());
        assertEquals(0xffffffffL * 125, p.bytesPerSecond());
        assertEquals(4_000_000_000L, Policer.ingress(1000, 32_000_000, 0).burstBytes());
    }

    @Test
    void theEgressPolicerDropsAtTransmitAndRefillsAtItsRate() {
        Sink p = new Sink();
        p.counters().policing.egress = new Policer(1_000_000, 3000, 0);     // 1 MB/s, 3000 bytes
        Policing pol = new Policing();
        SoftwareOffload off = new SoftwareOffload();
        PacketBatch b = burst(1014, 1014, 1014, 1014);
        pol.transmit(off, p, 0, b, new int[] {0, 1, 2, 3}, 4, 0);
        assertEquals(3, p.sentLens.size());
        assertEquals(1, p.counters().get(PortCounters.Counter.TX_DROP_POLICED));
        pol.transmit(off, p, 0, b, new int[] {0, 1, 2, 3}, 4, 2_000_000);     // 2 ms: 2000 bytes
        assertEquals(5, p.sentLens.size());
        assertEquals(3, p.counters().get(PortCounters.Counter.TX_DROP_POLICED));
    }

    @Test
    void withoutPolicersNothingChanges() {
        Sink p = new Sink();
        PacketBatch b = burst(60, 60);
        assertEquals(2, new Policing().ingress(p, b, 2, 0, 0));
        new Policing().transmit(new SoftwareOffload(), p, 0, b, new int[] {0, 1}, 2, 0);
        assertEquals(2, p.sentLens.size());
    }
}
