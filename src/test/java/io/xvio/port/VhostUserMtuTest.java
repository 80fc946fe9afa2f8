package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.testing.TestFrontend;
import io.xvio.util.Quiescence;
import io.xvio.vhost.VhostUserEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A vhost-user port's mtu (OVS's mtu_request): its MTU for show and tunnels, and the frames it sends. */
class VhostUserMtuTest {
    @TempDir Path dir;

    private int n;

    private VhostUserPort port(int mtu) {
        return new VhostUserPort("vh", 1, dir.resolve("vh" + n++ + ".sock").toString(), VhostUserEndpoint.Mode.SERVER, 1,
                true, false, false, mtu, Quiescence.NONE, null);
    }

    @Test
    void theMtuIsTheConfiguredOneOrOvsDefault() {
        VhostUserPort p = port(1600), d = port(0);
        assertEquals(1600, p.mtu());
        assertEquals("1600", p.details().get("mtu"), "show and the Interface mtu column");
        assertEquals(1500, d.mtu(), "none configured: OVS-DPDK's 1500");
        assertEquals("1500", d.details().get("mtu"));
        assertNull(p.details().get("front-end mtu"), "no front-end yet");
        assertThrows(IllegalArgumentException.class, () -> port(67));
        assertThrows(IllegalArgumentException.class, () -> port(65536));
    }

    @Test
    void framesOverMtuPlusEthernetAndTwoTagsAreDroppedAsTooBigAsAreGsoFramesWithSegmentsOverIt() {
        VhostUserPort p = port(1600);
        PacketBatch b = new PacketBatch();
        b.count = 5;
        b.len[0] = 1622;                 // 1600 + 14 + 2 VLAN tags: fits
        b.len[1] = 1623;                 // one byte over
        b.len[3] = 9000;                 // too big, no GSO
        b.offloads = true;
        tcpGso(b, 2, 1448);              // a TCP GSO frame whose segments fit: the guest cuts it
        tcpGso(b, 4, 1600);              // one whose segments (54 + 1600 bytes) would not
        p.transmit(0, b, new int[] {0, 1, 2, 3, 4}, 5);
        assertEquals(3, p.counters().get(PortCounters.Counter.TX_DROP_TOO_BIG));
        assertEquals(2, p.counters().get(PortCounters.Counter.TX_DROP_DOWN), "the two that fit meet a port with no guest");

        VhostUserPort d = port(0);       // no mtu: every frame goes on, as before
        d.transmit(0, b, new int[] {0, 1, 2, 3, 4}, 5);
        assertEquals(0, d.counters().get(PortCounters.Counter.TX_DROP_TOO_BIG));
        assertEquals(5, d.counters().get(PortCounters.Counter.TX_DROP_DOWN));
    }

    /** OVSDB's mtu_request changed on a running port: the new limit holds from the next burst, the port stays. */
    @Test
    void aNewMtuHoldsFromTheNextBurst() {
        VhostUserPort p = port(1600), d = port(0);
        PacketBatch b = new PacketBatch();
        b.count = 2;
        b.len[0] = 1522;                 // fits 1500 + 22
        b.len[1] = 1622;                 // fits 1600 + 22 only
        for (VhostUserPort x : new VhostUserPort[] {p, d}) {
            x.setMtu(1500);
            assertEquals(1500, x.mtu());
            assertEquals("1500", x.details().get("mtu"));
            x.transmit(0, b, new int[] {0, 1}, 2);
            assertEquals(1, x.counters().get(PortCounters.Counter.TX_DROP_TOO_BIG), "1622 bytes over 1500 + 22");
        }
        assertThrows(IllegalArgumentException.class, () -> p.setMtu(67));
        assertEquals(1500, p.mtu(), "a refused value changes nothing");
    }

    /** Slot i: a 9000-byte IPv4 TCP GSO frame (TCP header of 20 bytes at 34) cut into gsoSize-byte payloads. */
    static void tcpGso(PacketBatch b, int i, int gsoSize) {
        b.len[i] = 9000;
        b.gsoType[i] = 1;
        b.gsoSize[i] = gsoSize;
        b.vflags[i] = 1;
        b.csumAt[i] = b.off[i] + 34;
        b.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b.csumAt[i] + 12, (byte) 0x50);
    }

    /** Through a real vhost-user connection (TestFrontend): one byte over MTU + 22 is dropped each way, counted. */
    @Test
    void aGuestSendsAndReceivesFramesUpToMtuPlus22() throws Exception {
        VhostUserPort p = port(1600);
        p.start();
        try (TestFrontend f = TestFrontend.connect(dir.resolve("vh0.sock").toString()).start()) {
            assertTrue(f.send(0, new byte[1623]));     // over: dropped as it is taken
            assertTrue(f.send(0, new byte[1622]));
            PacketBatch b = new PacketBatch();
            int got = 0;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (got == 0 && System.nanoTime() < deadline) got = p.receive(0, b, 0);
            assertEquals(1, got, p.details().toString());
            assertEquals(1622, b.len[0]);
            assertEquals(1L, p.extraCounters().get("rx_dropped(frame too big)"));

            b.count = 2;
            b.len[0] = 1622;
            b.len[1] = 1623;
            p.transmit(0, b, new int[] {0, 1}, 2);
            List<byte[]> rx = f.awaitFrames(1, Duration.ofSeconds(5));
            assertEquals(1, rx.size());
            assertEquals(1622, rx.get(0).length);
            assertEquals(1, p.counters().get(PortCounters.Counter.TX_DROP_TOO_BIG));
            assertEquals(1, p.counters().get(PortCounters.Counter.TX_PACKETS));
        } finally {
            p.close();
        }
    }
}
