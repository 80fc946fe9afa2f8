package io.xvio.port;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.concurrent.TimeUnit;

import static io.xvio.port.PortCounters.Counter.TX_DROP_TOO_BIG;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A TCP GSO frame leaves an uplink with offloads whole, and the kernel cuts it into segments of gso_size payload
 * bytes: when those segments would be over the interface's MTU (a guest with a larger MTU than the uplink's), the
 * port drops the frame as too big, as it drops a plain frame over the MTU (OVS-DPDK drops such an oversized TSO
 * packet too), instead of putting frames over the MTU on the wire.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class GsoSegmentsOverMtuTest {
    private final PmdStandIn pmd = new PmdStandIn();

    @AfterEach
    void cleanUp() throws Exception { pmd.close(); }

    /** Slots 0 and 1: 9000-byte IPv4 TCP GSO frames, segments of 54 + 1448 bytes (fit 1500) and of 54 + 1600 (do not). */
    private static PacketBatch twoGsoFrames() {
        PacketBatch b = new PacketBatch();
        b.offloads = true;
        for (int i = 0; i < 2; i++) {
            VhostUserMtuTest.tcpGso(b, i, i == 0 ? 1448 : 1600);
            byte[] h = {0x45, 0, 0x23, 0x1a, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
            b.data.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, b.off[i] + 12, (short) 0x0008);
            java.lang.foreign.MemorySegment.copy(h, 0, b.data, java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[i] + 14, h.length);
            b.csumOffset[i] = 16;
        }
        b.count = 2;
        return b;
    }

    private static void send(Port p) {
        p.transmit(0, twoGsoFrames(), new int[] {0, 1}, 2);
        p.flushIdle(0);
    }

    @Test
    void anAfPacketPortDropsAGsoFrameWhoseSegmentsWouldBeOverTheMtu() {
        String a = pmd.net.name("xga"), b = pmd.net.name("xgb");
        pmd.vethUp(a, b);
        AfPacketPort p = pmd.own(new AfPacketPort("pa", 1, a, true, pmd.quiescence));
        p.start();
        assertEquals("up", p.status());
        send(p);
        assertEquals(1, p.counters().get(TX_DROP_TOO_BIG), p.details().toString());
    }

    @Test
    void aTapPortDropsAGsoFrameWhoseSegmentsWouldBeOverTheMtu() {
        String t = pmd.net.name("xgt");
        pmd.net.own(t);
        TapPort p = pmd.own(new TapPort("pt", 1, t, 0, true, pmd.quiescence));
        p.start();
        assertEquals("up", p.status());
        send(p);
        assertEquals(1, p.counters().get(TX_DROP_TOO_BIG), p.details().toString());
    }
}
