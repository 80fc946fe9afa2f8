package io.xvio.port;

import io.xvio.sys.Netdev;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.concurrent.TimeUnit;

import static io.xvio.port.PmdStandIn.*;
import static org.junit.jupiter.api.Assertions.*;

/** A tap port's mtu (OVS's mtu_request on an internal/tap Interface): the MTU of the interface xvio creates. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class TapMtuTest {
    private final PmdStandIn pmd = new PmdStandIn();
    private final NetLab lab = pmd.net;

    @AfterEach
    void cleanUp() throws Exception { pmd.close(); }

    @Test
    void theTapIsCreatedWithTheMtuAndGetsItAgainWhenMadeAgain() throws Exception {
        String t = lab.name("xvm");
        lab.own(t);
        TapPort port = pmd.own(new TapPort("tp", 1, t, 9000, pmd.quiescence));
        port.start();
        assertEquals("up", port.status());
        assertEquals(9000, Netdev.query(t).mtu(), "the kernel's MTU");
        assertEquals("9000", port.details().get("mtu"), "show and the Interface mtu column");
        assertEquals(9000, port.mtu(), "what a tunnel over this tap may send");
        int ifindex = Netdev.query(t).ifindex();
        lab.delete(t);
        await(() -> "2 time(s)".equals(port.details().get("created")) && port.status().equals("up"), 3000,
                () -> port.status() + " " + port.details());
        assertNotEquals(ifindex, Netdev.query(t).ifindex());
        assertEquals(9000, Netdev.query(t).mtu(), "a tap made again gets the MTU again");
        port.setMtu(1400);                                   // OVSDB's mtu_request changed: in place
        assertEquals(1400, Netdev.query(t).mtu());
        await(() -> port.mtu() == 1400, 3000, () -> "the supervisor's look: " + port.details());
        lab.delete(t);
        await(() -> "3 time(s)".equals(port.details().get("created")) && port.status().equals("up"), 3000,
                () -> port.status() + " " + port.details());
        assertEquals(1400, Netdev.query(t).mtu(), "made again with the new MTU");
        port.close();

        String u = lab.name("xvm");
        lab.own(u);
        TapPort plain = pmd.own(new TapPort("tq", 2, u, pmd.quiescence));
        plain.start();
        assertEquals(1500, Netdev.query(u).mtu(), "no mtu: the kernel's default");
        plain.close();
    }
}
