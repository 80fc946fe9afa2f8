package io.xvio.datapath.bfd;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static io.xvio.datapath.bfd.BfdMessage.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two sessions talking through their frames on a simulated clock: the three-way handshake (down, init, up), the
 * detection time running out, a remote going administratively down, a poll sequence after a timer change, the frame
 * OVS sends (addresses, TTL, ports, checksum), and what a session or the parser refuses.
 */
class BfdSessionTest {
    private static final long MAC_A = 0x020000000aaaL, MAC_B = 0x020000000bbbL;
    private final byte[] frame = new byte[FRAME_LENGTH];

    private static BfdSession session(String name, long disc, Map<String, String> cfg) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("enable", "true"));
        all.putAll(cfg);
        return new BfdSession(name, disc, 49152 + (int) disc, new Random(disc), BfdSettings.of(all));
    }

    /** from's next message into to; returns the parsed message. */
    private BfdMessage deliver(BfdSession from, long fromMac, BfdSession to, long now) {
        assertEquals(FRAME_LENGTH, from.compose(frame, fromMac, now));
        BfdMessage m = new BfdMessage();
        assertNull(m.parse(frame, 42, 24), () -> "the message parses: " + m);
        assertNull(to.receive(m, frame[22] & 0xff, now));
        return m;
    }

    /** a down to b, b's init back, a's up to b: both up. */
    private void handshake(BfdSession a, BfdSession b) {
        deliver(a, MAC_A, b, 0);
        deliver(b, MAC_B, a, 0);
        deliver(a, MAC_A, b, 0);
    }

    private static int u16(byte[] b, int off) { return (b[off] & 0xff) << 8 | b[off + 1] & 0xff; }

    @Test
    void twoSessionsComeUpInThreeMessagesAndReportOvssStatus() {
        BfdSession a = session("a", 0x1111, Map.of()), b = session("b", 0x2222, Map.of());
        assertEquals("down", a.status().get("state"));
        assertEquals("false", a.status().get("forwarding"));
        assertEquals(DOWN, deliver(a, MAC_A, b, 0).state);
        assertEquals(INIT, b.state(), "down from the remote: init");
        BfdMessage m = deliver(b, MAC_B, a, 1);
        assertEquals(INIT, m.state);
        assertEquals(0x1111, m.yourDisc, "b learned a's discriminator");
        assertEquals(UP, a.state(), "init from the remote: up");
        deliver(a, MAC_A, b, 2);
        assertEquals(UP, b.state());
        assertEquals(Map.of("forwarding", "true", "state", "up", "diagnostic", "No Diagnostic", "flap_count", "1", "remote_state", "up",
                "remote_diagnostic", "No Diagnostic"), Map.copyOf(b.status()));
        assertTrue(a.forwarding(3) && b.forwarding(3));
        assertTrue(a.takeStatusChange());
        assertFalse(a.takeStatusChange(), "taken");
    }

    @Test
    void silenceForTheDetectionTimeTakesTheSessionDown() {
        BfdSession a = session("a", 1, Map.of("min_rx", "500", "min_tx", "100")), b = session("b", 2, Map.of("min_rx", "500", "min_tx", "100"));
        handshake(a, b);
        deliver(b, MAC_B, a, 0);                    // a hears b up, with its 100 ms min tx: detect time 3 x max(500, 100)
        assertEquals(UP, a.state());
        a.run(1499);
        assertEquals(UP, a.state(), "not yet");
        a.run(1500);
        assertEquals(DOWN, a.state());
        assertEquals("Control Detection Time Expired", a.status().get("diagnostic"));
        assertEquals("false", a.status().get("forwarding"));
        assertEquals("2", a.status().get("flap_count"), "up, then down");
        assertEquals("down", a.status().get("remote_state"), "the remote's state is forgotten when going down");
    }

    @Test
    void aRemoteAdministrativelyDownTakesTheSessionDownWithItsDiagnostic() {
        BfdSession a = session("a", 1, Map.of()), b = session("b", 2, Map.of());
        handshake(a, b);
        assertEquals(UP, b.state());
        BfdMessage m = new BfdMessage();
        m.state = ADMIN_DOWN;
        m.mult = 3;
        m.myDisc = 1;
        m.yourDisc = 2;
        m.minTxMicros = m.minRxMicros = 1_000_000;
        byte[] msg = new byte[24];
        m.write(msg, 0);
        BfdMessage in = new BfdMessage();
        assertNull(in.parse(msg, 0, 24));
        assertNull(b.receive(in, 255, 10));
        assertEquals(DOWN, b.state());
        assertEquals("Neighbor Signaled Session Down", b.status().get("diagnostic"));
    }

    @Test
    void aTimerChangeWhileUpRunsAPollSequence() {
        BfdSession a = session("a", 1, Map.of()), b = session("b", 2, Map.of());
        handshake(a, b);
        a.configure(BfdSettings.of(Map.of("enable", "true", "min_tx", "300", "min_rx", "2000")));
        assertTrue(a.shouldSend(1), "a poll goes out at once");
        BfdMessage poll = deliver(a, MAC_A, b, 1);
        assertTrue((poll.flags & F_POLL) != 0, "poll bit: " + poll);
        assertEquals(2_000_000, poll.minRxMicros, "the new min_rx in the poll");
        assertTrue(b.shouldSend(1), "b answers a poll at once");
        BfdMessage fin = deliver(b, MAC_B, a, 1);
        assertTrue((fin.flags & F_FINAL) != 0 && (fin.flags & F_POLL) == 0, "final bit: " + fin);
        BfdMessage next = deliver(a, MAC_A, b, 2);
        assertEquals(0, next.flags & (F_POLL | F_FINAL), "sequence over: " + next);
        assertEquals(300_000, next.minTxMicros);
        assertEquals(2_000_000, next.minRxMicros);
    }

    @Test
    void theFrameIsOvssIpv4UdpToPort3784WithTtl255() {
        BfdSession a = session("a", 0x77, Map.of());
        a.compose(frame, MAC_A, 0);
        assertEquals(0x002320000001L, u16(frame, 0) * 0x100000000L + ((long) u16(frame, 2) << 16) + u16(frame, 4), "OVS's BFD MAC");
        assertEquals(MAC_A, u16(frame, 6) * 0x100000000L + ((long) u16(frame, 8) << 16) + u16(frame, 10));
        assertEquals(0x0800, u16(frame, 12));
        assertEquals(0x45, frame[14]);
        assertEquals(0xc0, frame[15] & 0xff, "DSCP CS6 (internet control)");
        assertEquals(52, u16(frame, 16));
        assertEquals(255, frame[22] & 0xff);
        assertEquals(17, frame[23]);
        int sum = 0;
        for (int i = 14; i < 34; i += 2) sum += u16(frame, i);
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        assertEquals(0xffff, sum, "IPv4 header checksum");
        assertArrayEquals(new byte[] {(byte) 169, (byte) 254, 1, 1, (byte) 169, (byte) 254, 1, 0}, java.util.Arrays.copyOfRange(frame, 26, 34));
        assertEquals(49152 + 0x77, u16(frame, 34));
        assertEquals(3784, u16(frame, 36));
        assertEquals(32, u16(frame, 38));
        assertEquals(0x20, frame[42], "version 1, no diagnostic");
        assertEquals(DOWN << 6, frame[43] & 0xff);
        assertEquals(1_000_000, io.xvio.datapath.tunnel.Be.u32(java.lang.foreign.MemorySegment.ofArray(frame), 42 + 12), "at least a second between messages while not up");
    }

    @Test
    void whileNotUpMessagesGoAtMostOncePerSecondAndUpAtTheNegotiatedRate() {
        BfdSession a = session("a", 1, Map.of("min_tx", "100", "min_rx", "100")), b = session("b", 2, Map.of("min_tx", "100", "min_rx", "100"));
        a.compose(frame, MAC_A, 0);
        assertFalse(a.shouldSend(749), "down: the 1 s interval less at most 25 %");
        assertTrue(a.shouldSend(1000));
        deliver(a, MAC_A, b, 1000);
        deliver(b, MAC_B, a, 1000);
        deliver(a, MAC_A, b, 1000);
        deliver(b, MAC_B, a, 1000);
        assertEquals(UP, a.state());
        a.compose(frame, MAC_A, 2000);
        assertTrue(a.shouldSend(2100), "up: 100 ms");
        assertFalse(a.shouldSend(2074));
    }

    @Test
    void aSessionRefusesAWrongTtlOrDiscriminatorAndTheParserMalformedMessages() {
        BfdSession a = session("a", 1, Map.of());
        BfdMessage m = new BfdMessage();
        byte[] msg = new byte[24];
        m.state = DOWN;
        m.mult = 3;
        m.myDisc = 9;
        m.write(msg, 0);
        assertNull(m.parse(msg, 0, 24));
        assertTrue(a.receive(m, 254, 0).contains("TTL 254"));
        m.yourDisc = 5;
        assertTrue(a.receive(m, 255, 0).contains("not ours"));
        assertEquals(DOWN, a.state());
        assertEquals(2, a.refused());
        assertTrue(m.parse(msg, 0, 23).contains("too short"));
        msg[0] = (byte) (2 << 5);
        assertTrue(m.parse(msg, 0, 24).contains("version 2"));
        msg[0] = 0x20;
        msg[1] = (byte) (DOWN << 6 | F_AUTH);
        assertTrue(m.parse(msg, 0, 24).contains("authenticated"));
        msg[1] = (byte) (UP << 6);
        assertTrue(m.parse(msg, 0, 24).contains("zero your discriminator"));
        msg[1] = (byte) (DOWN << 6);
        msg[2] = 0;
        assertTrue(m.parse(msg, 0, 24).contains("zero detection multiplier"));
        msg[2] = 3;
        msg[3] = 40;
        assertTrue(m.parse(msg, 0, 24).contains("beyond"));
    }

    @Test
    void settingsFallBackToOvssDefaultsAndSayWhy() {
        BfdSettings s = BfdSettings.of(Map.of("enable", "true", "min_tx", "fast", "mult", "0", "bfd_src_ip", "1.2.3", "bfd_local_src_mac", "zz:00:00:00:00:01",
                "decay_min_rx", "5000", "colour", "blue"));
        assertTrue(s.enabled());
        assertEquals(100, s.minTx());
        assertEquals(1000, s.minRx());
        assertEquals(3, s.mult());
        assertEquals(DEFAULT_SRC_IP, s.ipSrc());
        assertEquals(0, s.localEthSrc());
        assertEquals(6, s.warnings().size(), String.join("\n", s.warnings()));
        assertFalse(BfdSettings.of(null).enabled());
        assertTrue(BfdSettings.of(Map.of("enable", "true", "oam", "true")).warnings().getFirst().contains("OAM flag"), "oam is said not to be honoured");
        BfdSettings t = BfdSettings.of(Map.of("enable", "true", "bfd_src_ip", "10.0.0.1", "bfd_remote_dst_mac", "00:11:22:33:44:55", "check_tnl_key", "true"));
        assertEquals(0x0a000001, t.ipSrc());
        assertEquals(0x001122334455L, t.remoteEthDst());
        BfdSession x = new BfdSession("x", 3, 50000, new Random(1), t);
        assertTrue(x.wants(0x001122334455L, 0x0a000001, 0));
        assertFalse(x.wants(0x001122334456L, 0x0a000001, 0), "another destination MAC");
        assertFalse(x.wants(0x001122334455L, 0x0a000002, 0), "another destination address");
        assertFalse(x.wants(0x001122334455L, 0x0a000001, 7), "check_tnl_key: a non-zero key");
        assertTrue(session("y", 4, Map.of()).wants(0x1234, 0x01020304, 7), "by default any frame to the port");
    }
}
