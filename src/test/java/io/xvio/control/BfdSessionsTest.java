package io.xvio.control;

import io.xvio.datapath.bfd.BfdMessage;
import io.xvio.datapath.bfd.BfdSession;
import io.xvio.datapath.bfd.BfdSettings;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.TunnelType;
import io.xvio.port.TunnelPort;
import io.xvio.testing.InertPort;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.Map;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The daemon's BFD sessions as OVSDB's bfd column drives them: enable=true on a tunnel port starts a session and
 * turns its inbox on; a message a PMD thread put in the inbox moves the session on the next tick and shows in
 * bfd_status; an empty column stops it and empties the status; a non-tunnel port gets no session.
 */
class BfdSessionsTest {
    @Test
    void theBfdColumnStartsFeedsAndStopsATunnelPortsSession() throws Exception {
        Bridge br = new Bridge("br-int");
        TunnelPort tp = new TunnelPort("gnv0", 10, TunnelConfig.of(TunnelType.GENEVE, InetAddress.getByName("172.31.0.2"), TunnelConfig.KEY_FLOW));
        br.ports.add(tp);
        try (BfdSessions s = new BfdSessions(null)) {
            s.configure(br, tp, Map.of("enable", "true", "min_rx", "500"));
            assertTrue(tp.bfdInbox().enabled(), "the port's decapsulated BFD goes to the session now");
            assertEquals("down", s.status("br-int", "gnv0").get("state"));
            assertTrue(s.show().contains("gnv0: forwarding false, state down"), s.show());
            // the peer's first message (state down), as a PMD thread's decapsulation offers it
            BfdSession peer = new BfdSession("peer", 0x99, 50000, new Random(1), BfdSettings.of(Map.of("enable", "true")));
            byte[] frame = new byte[BfdMessage.FRAME_LENGTH];
            peer.compose(frame, 0x020000000099L, 0);
            MemorySegment seg = Arena.ofAuto().allocate(frame.length);
            MemorySegment.copy(frame, 0, seg, JAVA_BYTE, 0, frame.length);
            assertTrue(tp.bfdInbox().offer(0, seg, 0, frame.length, 0));
            s.tick(System.currentTimeMillis());
            assertEquals("init", s.status("br-int", "gnv0").get("state"), "down from the peer: init");
            s.configure(br, tp, Map.of());
            assertFalse(tp.bfdInbox().enabled());
            assertEquals(Map.of(), s.status("br-int", "gnv0"));
            assertEquals("no BFD sessions\n", s.show());
            InertPort other = new InertPort("eth1") {};
            br.ports.add(other);
            s.configure(br, other, Map.of("enable", "true"));
            assertEquals(Map.of(), s.status("br-int", "eth1"), "BFD runs on tunnel ports only");
        }
    }
}
