package io.xvio.port;

import io.xvio.port.PmdStandIn.Peer;
import io.xvio.sys.Netdev;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.concurrent.TimeUnit;

import static io.xvio.port.PmdStandIn.*;
import static io.xvio.port.PortCounters.Counter.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * TAP and AF_PACKET ports on interfaces this test creates: they attach, carry bursts both ways, go down with a
 * reason when the interface is missing, down or deleted, and come back by themselves when it returns. The test
 * thread plays the PMD: its receive/transmit calls hold a lock that the port's quiescence waits for.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class NetdevPortsTest {
    private final PmdStandIn pmd = new PmdStandIn();
    private final NetLab lab = pmd.net;

    @AfterEach
    void cleanUp() throws Exception { pmd.close(); }

    @Test
    void anAfPacketPortWaitsForItsInterfaceAndSurvivesItGoingDownAndBeingReplaced() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        AfPacketPort port = pmd.own(new AfPacketPort("up0", 1, a, pmd.quiescence));
        port.start();
        pmd.lifecycle(port, a, b, new PmdStandIn.LifecycleChecks() {});
    }

    @Test
    void framesLargerThanTheMtuAreDroppedAsTooBig() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        pmd.vethUp(a, b);
        NetLab.ok("ip", "link", "set", a, "mtu", "1000");
        AfPacketPort port = pmd.own(new AfPacketPort("up0", 1, a, pmd.quiescence));
        port.start();
        assertEquals("up", port.status());
        pmd.transmit(port, new int[] {1, 2}, new int[] {1018, 1019});     // 1000 + 14 + 4 fits, one more does not
        assertEquals(1, port.counters().get(TX_DROP_TOO_BIG));
        assertEquals(1, port.counters().get(TX_PACKETS));
        // an MTU change re-attaches with slots for the new size
        NetLab.ok("ip", "link", "set", a, "mtu", "1500");
        await(() -> "1500".equals(port.details().get("mtu")), 3000, () -> port.details().toString());
    }

    @Test
    void aTapPortOwnsItsInterfaceRecreatesItAndDeletesItOnClose() throws Exception {
        String t = lab.name("xvt");
        lab.own(t);
        TapPort port = pmd.own(new TapPort("tp", 1, t, pmd.quiescence));
        port.start();
        assertEquals("up", port.status());
        Netdev.Info info = Netdev.query(t);
        assertTrue(info.up(), "xvio brings its tap up");
        lab.quietIpv6(null, t);
        Peer p = pmd.peer(t);
        pmd.transmit(port, 0, 8);                               // the switch sends: the host receives on the tap
        assertEquals(range(0, 8), pmd.peerReceive(p.rx(), 8));
        assertEquals(8, port.counters().get(TX_PACKETS));
        pmd.peerSend(p.tx(), 50, 6);                            // the host sends out of the tap: into the switch
        assertEquals(range(50, 6), pmd.receive(port, 6));

        lab.down(null, t);
        await(() -> port.status().contains("is down"), 3000, port::status);
        long down = port.counters().get(TX_DROP_DOWN);
        pmd.transmit(port, 0, 4);
        assertEquals(down + 4, port.counters().get(TX_DROP_DOWN), "writes fail with EIO while the tap is down");
        lab.up(null, t);
        await(() -> port.status().equals("up"), 3000, port::status);

        lab.delete(t);
        await(() -> "2 time(s)".equals(port.details().get("created")) && port.status().equals("up"), 3000,
                () -> port.status() + " " + port.details());
        assertNotEquals(info.ifindex(), Netdev.query(t).ifindex());
        assertTrue(Netdev.query(t).up());
        Peer p2 = pmd.peer(t);
        pmd.transmit(port, 70, 3);
        assertEquals(range(70, 3), pmd.peerReceive(p2.rx(), 3));

        port.close();
        assertNull(Netdev.query(t), "closing the port deletes its tap");
    }

    @Test
    void theHotPathAllocatesNothing() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb"), t = lab.name("xvt");
        pmd.vethUp(a, b);
        lab.own(t);
        AfPacketPort pa = pmd.own(new AfPacketPort("pa", 1, a, pmd.quiescence)), pb = pmd.own(new AfPacketPort("pb", 2, b, pmd.quiescence));
        TapPort tap = pmd.own(new TapPort("tp", 3, t, pmd.quiescence));
        pa.start();
        pb.start();
        tap.start();
        lab.quietIpv6(null, t);
        AfPacketPort onTap = pmd.own(new AfPacketPort("pt", 4, t, pmd.quiescence));   // the host side of the tap
        onTap.start();
        await(() -> pa.status().equals("up") && pb.status().equals("up") && tap.status().equals("up") && onTap.status().equals("up"),
                3000, () -> pa.status() + " " + pb.status() + " " + tap.status() + " " + onTap.status());
        long warm = pmd.pingPong(pa, pb, 3000) + pmd.pingPong(tap, onTap, 3000);     // let the JIT compile the paths
        assertTrue(warm > 0);
        long before = allocatedBytes();
        long got = pmd.pingPong(pa, pb, 2000) + pmd.pingPong(tap, onTap, 2000);
        long allocated = allocatedBytes() - before;
        assertTrue(got > 10_000, "frames moved: " + got);
        // steady state allocates nothing; JIT recompilations can still allocate a little while this runs, so the bound
        // is loose: one 16-byte object per frame would already be 4 MB here
        assertTrue(allocated < 1024 * 1024, allocated + " bytes allocated for " + got + " frames received (and as many sent)");
    }

    @Test
    void aTapWhoseNameIsTakenWaitsUntilTheNameIsFree() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        TapPort port = pmd.own(new TapPort("tp", 1, a, pmd.quiescence));
        port.start();
        assertTrue(port.status().startsWith("down (cannot create tap " + a + ": ioctl(TUNSETIFF"), port.status());
        assertTrue(port.status().contains("check `ip link show " + a + "`"), port.status());
        lab.delete(a);
        await(() -> port.status().equals("up"), 3000, port::status);
        lab.own(a);
    }
}
